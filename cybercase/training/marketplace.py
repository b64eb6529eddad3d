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

import threading
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from cybercase.errors import InvalidInputError, InvalidTransitionError
from cybercase.training import catalogue
from cybercase.training.marketplace_http import (
    HOST,
    LOGIN_PAGE,
    Handler,
    Response,
    Server,
    Visit,
    bind_error,
    feed_answer,
    login,
)
from cybercase.training.pages import Site, contact_json

DEFAULT_PORT = 8765
"""The port ``cybercase training serve`` uses unless told otherwise."""


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
        self._server: Server | None = None
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
            server = Server((HOST, self._port), Handler, market=self)
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
    ) -> tuple[Response, int]:
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
            return login(form), day
        if method == "POST":
            return Response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                self._site.gone("Not allowed", "This page cannot be posted to."),
            ), day
        if (answer := feed_answer(path, raw_path)) is not None:
            return answer, day
        if path == "/login":
            return Response(HTTPStatus.OK, LOGIN_PAGE), day
        return self._page(path, day), day

    def _page(self, path: str, day: int) -> Response:
        site = self._site
        head, _, rest = path.removeprefix("/").partition("/")
        if path == "/":
            return Response(HTTPStatus.OK, site.home(day))
        if head == "listing" and (item := catalogue.listing(rest)) is not None:
            if not item.online_on(day):
                return Response(
                    HTTPStatus.NOT_FOUND,
                    site.gone(
                        "This listing has been removed",
                        f"Listing #{item.id} is no longer available.",
                    ),
                )
            return Response(HTTPStatus.OK, site.listing(item, day))
        if head == "seller" and (owner := catalogue.seller(rest)) is not None:
            return Response(HTTPStatus.OK, site.seller(owner, day))
        if head == "social" and (profile := catalogue.social(rest)) is not None:
            return Response(HTTPStatus.OK, site.social(profile))
        if head == "s" and rest in catalogue.SHORT_LINKS:
            target = catalogue.listing(catalogue.SHORT_LINKS[rest])
            assert target is not None
            location = self._base + target.path
            return Response(HTTPStatus.FOUND, b"", "text/plain; charset=utf-8", location)
        if head == "media" and rest in site.media:
            asset = site.media[rest]
            return Response(HTTPStatus.OK, asset.body, asset.content_type)
        if head == "static" and rest in site.static:
            asset = site.static[rest]
            return Response(HTTPStatus.OK, asset.body, asset.content_type)
        if path.startswith("/api/contact/") and (
            owner := catalogue.seller(path.removeprefix("/api/contact/"))
        ):
            return Response(HTTPStatus.OK, contact_json(owner), "application/json")
        if path == "/sitemap.txt":
            urls = [self._base + item.path for item in catalogue.LISTINGS]
            body = "".join(url + "\n" for url in urls).encode("ascii")
            return Response(HTTPStatus.OK, body, "text/plain; charset=utf-8")
        return Response(
            HTTPStatus.NOT_FOUND,
            site.gone("Page not found", "There is no page at this address."),
        )

    def _trainer(self, method: str, form: dict[str, list[str]]) -> Response:
        if method == "POST":
            try:
                self._apply(form)
            except InvalidInputError as exc:
                return Response(
                    HTTPStatus.BAD_REQUEST, self._site.gone("Nothing changed", exc.one_line())
                )
            return Response(HTTPStatus.SEE_OTHER, b"", location=self._base + "/_trainer")
        with self._lock:
            day, visits = self._day, dict(self._visits)
        return Response(HTTPStatus.OK, self._site.trainer(day, self._start_day, visits))

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


def _check_day(day: int) -> None:
    if day not in catalogue.DAYS:
        known = ", ".join(str(d) for d in catalogue.DAYS)
        raise InvalidInputError(
            f"the training marketplace has no day {day}",
            hint=f"use one of {known} (1: first visit, 2: later visit)",
        )
