"""A small marketplace on 127.0.0.1 whose listings the test changes between runs."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Literal

from tests.fixtures.servers import LocalServer, send

Mode = Literal["ok", "404", "home", "search"]


def photo(seed: int, size: tuple[int, int] = (64, 48), quality: int = 90) -> bytes:
    """A JPEG whose picture depends on ``seed``: blocks of random shades, a new layout each."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    w, h = size
    for row in range(6):
        for col in range(8):
            shade = rng.randrange(256)
            box = (col * w // 8, row * h // 6, (col + 1) * w // 8, (row + 1) * h // 6)
            draw.rectangle(box, fill=(shade, shade // 2, 255 - shade))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


@dataclass
class Listing:
    """One listing as the site serves it now."""

    title: str
    price: str
    seller: str
    photo: bytes
    description: str = "Carved piece, 40 cm, old stock."
    mode: Mode = "ok"


@dataclass
class Shop:
    """The site: listings by id, changed by the test between runs."""

    server: LocalServer
    listings: dict[str, Listing] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds each listing page takes (to catch a run in the middle)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, listing_id: str) -> str:
        """The listing's URL."""
        return self.server.url(f"/listing/{listing_id}")

    def add(self, listing_id: str, listing: Listing) -> str:
        """Publish a listing; returns its URL."""
        self.listings[listing_id] = listing
        self.server.route(f"/listing/{listing_id}", self._page(listing_id))
        self.server.route(f"/photo/{listing_id}.jpg", self._photo(listing_id))
        self.server.route(f"/seller/{listing.seller}", self._seller)
        return self.url(listing_id)

    def _page(self, listing_id: str):  # type: ignore[no-untyped-def]
        def handle(h: BaseHTTPRequestHandler) -> None:
            if self.delay:
                time.sleep(self.delay)
            item = self.listings[listing_id]
            if item.mode == "404":
                send(h, 404, b"<html><title>Not found</title>gone</html>", _HTML)
                return
            if item.mode in ("home", "search"):
                target = "/" if item.mode == "home" else "/search?q=ivory"
                send(h, 302, b"", {"Location": target})
                return
            self.server.route(f"/seller/{item.seller}", self._seller)
            body = (
                "<!doctype html><html><head><meta charset='utf-8'>"
                f"<title>{item.title}</title></head><body><h1>{item.title}</h1>"
                f"<p class='price'>Price: {item.price}</p>"
                f"<p>{item.description}</p>"
                f"<p>Sold by <a href='/seller/{item.seller}'>{item.seller}</a></p>"
                f"<img src='/photo/{listing_id}.jpg' alt='photo'>"
                "</body></html>"
            )
            send(h, 200, body.encode("utf-8"), _HTML)

        return handle

    def _photo(self, listing_id: str):  # type: ignore[no-untyped-def]
        def handle(h: BaseHTTPRequestHandler) -> None:
            send(h, 200, self.listings[listing_id].photo, {"Content-Type": "image/jpeg"})

        return handle

    @staticmethod
    def _seller(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"<html><title>Seller</title>profile</html>", _HTML)


_HTML = {"Content-Type": "text/html; charset=utf-8"}


def install_home(server: LocalServer) -> None:
    """The home and search pages a removed listing redirects to."""

    def home(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"<html><title>Curio shop</title>Latest listings</html>", _HTML)

    server.route("/", home)
    server.route("/search", home)
