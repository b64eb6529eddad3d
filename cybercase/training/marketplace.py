"""The offline simulated wildlife marketplace: a small web server on 127.0.0.1.

Trainers must never point students at real traffickers' pages, and classrooms often
have no internet, so cybercase serves its own fictitious marketplace and social
profile from this computer. The site is built to contain the traps a real
investigation meets: euphemisms ("bone" for ivory, "medicine" for rhino horn), photos
whose EXIF carries a GPS position and a camera serial shared by two sellers, a short
link that redirects, contact details that only JavaScript reveals, a listing removed
on a later visit and a price that changes.

"Later" is a *day* that the trainer switches, never a clock or a visit count, so a
capture's result depends only on the day: day 1 is the first visit, day 2 the later
one. The day is changed from the trainer's page (``/_trainer``) or from Python
(:meth:`Marketplace.set_day`, :meth:`Marketplace.reset`), so tests and the demo are
reproducible.

Routes::

    /                         latest listings (those online today)
    /listing/<id>             a listing; 404 once removed
    /seller/<handle>          a seller's profile and listings
    /social/<handle>          a profile on the fictitious social network
    /s/<code>                 short link: 302 to a listing
    /media/<file>.jpg         photos, with EXIF
    /static/site.css, /static/contact.js
    /api/contact/<handle>     JSON the page's script fetches to show contact details
    /feed                     a social feed that loads 10 posts per scroll, up to 60
    /api/feed, /api/comments  the feed's JSON (more posts, more comments)
    /sitemap.txt              every listing URL, one per line (for ``capture --from``)
    /_trainer                 the trainer's controls (GET shows, POST changes the day)
"""

from __future__ import annotations

import errno
import html
import os
import secrets
import socket
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from cybercase.errors import InvalidInputError, InvalidTransitionError, NetworkError
from cybercase.training import catalogue, feed
from cybercase.training.pages import Site, contact_json

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
"""The port ``cybercase training serve`` uses unless told otherwise."""

_MAX_FORM = 1024
_FICTITIOUS_HEADER = ("X-Fictitious-Site", "cybercase training marketplace; nothing here is real")


@dataclass(frozen=True)
class Visit:
    """One request the marketplace answered (for the trainer's console)."""

    method: str
    path: str
    status: int
    day: int


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    cookie: str | None = None
    """A ``Set-Cookie`` value (the fictitious login's session)."""


class Marketplace:
    """The fictitious marketplace, served from a background thread.

    ``port=0`` picks a free port (tests); :attr:`url` says where it listens. Use it as
    a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        day: int = catalogue.FIRST_DAY,
        on_request: Callable[[Visit], None] | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise InvalidInputError(
                f"port {port} is not a TCP port", hint="use 1–65535, or 0 for any free port"
            )
        _check_day(day)
        self._port = port
        self._start_day = day
        self._day = day
        self._visits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._on_request = on_request
        self._site = Site()
        self._server: _Server | None = None
        self._base = ""
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.errors: list[str] = []
        """Tracebacks of requests the server failed to answer (a bug, not a visitor's doing)."""

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise InvalidTransitionError("the training marketplace is already running")
        try:
            server = _Server((HOST, self._port), _Handler, market=self)
        except OSError as exc:
            raise bind_error(self._port, exc) from exc
        self._server = server
        self._base = f"http://{HOST}:{server.server_address[1]}"
        self._stopped.clear()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cybercase-marketplace-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (does nothing when not running)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = None
        self._thread = None
        self._stopped.set()

    def wait(self) -> None:
        """Block until :meth:`stop` is called from another thread or Ctrl-C is pressed.

        Waits in short slices: on Windows a wait without a timeout cannot be interrupted.
        """
        while self._server is not None and not self._stopped.wait(0.25):
            pass

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server is None:
            raise InvalidTransitionError(
                "the training marketplace is not running",
                hint="call start() first, or use it in a 'with' block",
            )
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765``."""
        return f"http://{HOST}:{self.port}"

    def url_for(self, path: str) -> str:
        """The absolute URL of a path on the site."""
        return self.url + path

    def listing_urls(self) -> list[str]:
        """Every listing's URL (also served as ``/sitemap.txt``), whatever the day."""
        return [self.url_for(item.path) for item in catalogue.LISTINGS]

    def entry_points(self) -> dict[str, str]:
        """Where a student starts: the pages worth capturing, by name."""
        points = {"marketplace": self.url_for("/")}
        for owner in catalogue.SELLERS:
            points[f"seller {owner.handle}"] = self.url_for(owner.path)
        for profile in catalogue.SOCIAL:
            points[f"social {profile.handle}"] = self.url_for(profile.path)
        for code in catalogue.SHORT_LINKS:
            points[f"short link {code}"] = self.url_for(f"/s/{code}")
        points["sitemap"] = self.url_for("/sitemap.txt")
        points["trainer"] = self.url_for("/_trainer")
        return points

    # -- the day ------------------------------------------------------------------------

    @property
    def day(self) -> int:
        """The day the site is on (1: first visit, 2: later visit)."""
        with self._lock:
            return self._day

    def set_day(self, day: int) -> None:
        """Switch the site to ``day``; every later request sees it."""
        _check_day(day)
        with self._lock:
            self._day = day

    def next_day(self) -> int:
        """Move to the following day and return it."""
        with self._lock:
            if self._day == catalogue.DAYS[-1]:
                raise InvalidInputError(
                    f"day {self._day} is the last day of the exercise",
                    hint="reset to start again",
                )
            self._day += 1
            return self._day

    def reset(self) -> None:
        """Back to the day it started on, with the request counters at zero."""
        with self._lock:
            self._day = self._start_day
            self._visits.clear()

    def visits(self) -> dict[str, int]:
        """How many GET/HEAD requests each path received since the last reset."""
        with self._lock:
            return dict(self._visits)

    # -- answering ------------------------------------------------------------------------

    def _respond(
        self, method: str, raw_path: str, form: dict[str, list[str]]
    ) -> tuple[_Response, int]:
        """The answer to one request, and the day it was answered on."""
        path = urlsplit(raw_path).path
        if path == "/_trainer":
            response = self._trainer(method, form)
            return response, self.day
        with self._lock:
            day = self._day
            if method != "POST":
                self._visits[path] += 1
        if method == "POST" and path == "/login":
            return _login(form), day
        if method == "POST":
            return _Response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                self._site.gone("Not allowed", "This page cannot be posted to."),
            ), day
        if (answer := _feed(path, raw_path)) is not None:
            return answer, day
        if path == "/login":
            return _Response(HTTPStatus.OK, _LOGIN_PAGE), day
        return self._page(path, day), day

    def _page(self, path: str, day: int) -> _Response:
        site = self._site
        head, _, rest = path.removeprefix("/").partition("/")
        if path == "/":
            return _Response(HTTPStatus.OK, site.home(day))
        if head == "listing" and (item := catalogue.listing(rest)) is not None:
            if not item.online_on(day):
                return _Response(
                    HTTPStatus.NOT_FOUND,
                    site.gone(
                        "This listing has been removed",
                        f"Listing #{item.id} is no longer available.",
                    ),
                )
            return _Response(HTTPStatus.OK, site.listing(item, day))
        if head == "seller" and (owner := catalogue.seller(rest)) is not None:
            return _Response(HTTPStatus.OK, site.seller(owner, day))
        if head == "social" and (profile := catalogue.social(rest)) is not None:
            return _Response(HTTPStatus.OK, site.social(profile))
        if head == "s" and rest in catalogue.SHORT_LINKS:
            target = catalogue.listing(catalogue.SHORT_LINKS[rest])
            assert target is not None
            location = self._base + target.path
            return _Response(HTTPStatus.FOUND, b"", "text/plain; charset=utf-8", location)
        if head == "media" and rest in site.media:
            asset = site.media[rest]
            return _Response(HTTPStatus.OK, asset.body, asset.content_type)
        if head == "static" and rest in site.static:
            asset = site.static[rest]
            return _Response(HTTPStatus.OK, asset.body, asset.content_type)
        if path.startswith("/api/contact/") and (
            owner := catalogue.seller(path.removeprefix("/api/contact/"))
        ):
            return _Response(HTTPStatus.OK, contact_json(owner), "application/json")
        if path == "/sitemap.txt":
            urls = [self._base + item.path for item in catalogue.LISTINGS]
            body = "".join(url + "\n" for url in urls).encode("ascii")
            return _Response(HTTPStatus.OK, body, "text/plain; charset=utf-8")
        return _Response(
            HTTPStatus.NOT_FOUND,
            site.gone("Page not found", "There is no page at this address."),
        )

    def _trainer(self, method: str, form: dict[str, list[str]]) -> _Response:
        if method == "POST":
            try:
                self._apply(form)
            except InvalidInputError as exc:
                return _Response(
                    HTTPStatus.BAD_REQUEST, self._site.gone("Nothing changed", exc.one_line())
                )
            return _Response(HTTPStatus.SEE_OTHER, b"", location=self._base + "/_trainer")
        with self._lock:
            day, visits = self._day, dict(self._visits)
        return _Response(HTTPStatus.OK, self._site.trainer(day, self._start_day, visits))

    def _apply(self, form: dict[str, list[str]]) -> None:
        """One change from the trainer's form: ``day=N``, ``action=next`` or ``action=reset``."""
        action = form.get("action", [""])[-1]
        days = form.get("day", [])
        if action == "reset" and not days:
            self.reset()
        elif action == "next" and not days:
            self.next_day()
        elif days and not action:
            text = days[-1].strip()
            if not text.isdecimal():
                raise InvalidInputError(f"day {text!r} is not a number")
            self.set_day(int(text))
        else:
            raise InvalidInputError("the form must send either day=N, action=next or action=reset")

    def _visited(self, visit: Visit) -> None:
        if self._on_request is not None:
            self._on_request(visit)

    def _failed(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)


def _feed(path: str, raw_path: str) -> _Response | None:
    """The fictitious feed's page and its JSON (:mod:`cybercase.training.feed`)."""
    query = parse_qs(urlsplit(raw_path).query)
    if path == "/feed":
        return _Response(HTTPStatus.OK, feed.feed_page())
    if path == "/api/feed":
        return _Response(HTTPStatus.OK, feed.feed_json(feed.page_number(query)), "application/json")
    if path == "/api/comments":
        body = feed.comments_json(feed.page_number(query))
        return _Response(HTTPStatus.OK, body, "application/json")
    return None


_LOGIN_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in - CurioMarket (fictitious)</title></head>
<body><h1>Sign in</h1><p>A fictitious login form for training: any name and password work.</p>
<form method="post" action="/login">
<label>Name <input name="username" id="username"></label>
<label>Password <input type="password" name="password" id="password"></label>
<button type="submit" id="signin">Sign in</button>
</form></body></html>
"""


def _login(form: dict[str, list[str]]) -> _Response:
    """Any name and password sign in: a fresh random session cookie, as real sites set."""
    name = html.escape(form.get("username", [""])[-1] or "visitor")
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Signed in</title></head>"
        f"<body><h1>Signed in</h1><p>Welcome, {name}.</p><a href='/'>Home</a></body></html>"
    ).encode()
    token = "curio-" + secrets.token_hex(16)
    return _Response(HTTPStatus.OK, body, cookie=f"curio_session={token}; Path=/; HttpOnly")


def _check_day(day: int) -> None:
    if day not in catalogue.DAYS:
        known = ", ".join(str(d) for d in catalogue.DAYS)
        raise InvalidInputError(
            f"the training marketplace has no day {day}",
            hint=f"use one of {known} (1: first visit, 2: later visit)",
        )


def bind_error(port: int, exc: OSError) -> NetworkError:
    """The one-line reason a training server could not listen, with what to do."""
    if exc.errno == errno.EADDRINUSE:
        return NetworkError(
            f"port {port} on {HOST} is already in use",
            hint="stop the other program, or pick another port with --port (0: any free port)",
        )
    if exc.errno == errno.EACCES:
        return NetworkError(
            f"not allowed to listen on port {port} on {HOST}",
            hint="ports below 1024 need administrator rights; use --port 8765 or higher",
        )
    return NetworkError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # POSIX: rebind at once after a restart (TIME_WAIT); Windows would let another
    # program share the port with SO_REUSEADDR, so it gets SO_EXCLUSIVEADDRUSE instead.
    allow_reuse_address = os.name != "nt"

    def __init__(self, address: tuple[str, int], handler: type[_Handler], *, market: Marketplace):
        self.market = market
        super().__init__(address, handler)

    def server_bind(self) -> None:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Record a failed request for the trainer instead of printing it.

        A visitor hanging up mid-answer (a browser closing a tab) is normal, not a fault.
        """
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        self.market._failed(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "CurioMarket/1.0"
    sys_version = "(fictitious training site)"
    timeout = 10
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer("GET", {})

    def do_HEAD(self) -> None:
        self._answer("HEAD", {})

    def do_POST(self) -> None:
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdecimal() else -1
        if not 0 <= length <= _MAX_FORM:
            self._send(_Response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"", "text/plain"), "POST")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        self._answer("POST", parse_qs(body, keep_blank_values=True))

    def _answer(self, method: str, form: dict[str, list[str]]) -> None:
        market = self.server.market
        response, day = market._respond(method, self.path, form)
        self._send(response, method)
        market._visited(Visit(method, self.path, response.status, day))

    def _send(self, response: _Response, method: str) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header(*_FICTITIOUS_HEADER)
        if response.location is not None:
            self.send_header("Location", response.location)
        if response.cookie is not None:
            self.send_header("Set-Cookie", response.cookie)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the library never prints; visits go to ``on_request``."""
