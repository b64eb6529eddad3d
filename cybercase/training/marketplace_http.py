"""The marketplace's HTTP side: the threaded server on 127.0.0.1 and its request handler.

The handler only parses and answers; what a path shows is decided by
:class:`~cybercase.training.marketplace.Marketplace`. Every answer carries a header
saying the site is fictitious.
"""

from __future__ import annotations

import errno
import html
import os
import secrets
import socket
import sys
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from cybercase.errors import NetworkError
from cybercase.training import feed

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Visit:
    """One request the marketplace answered (for the trainer's console)."""

    method: str
    path: str
    status: int
    day: int


_MAX_FORM = 1024

_FICTITIOUS_HEADER = ("X-Fictitious-Site", "cybercase training marketplace; nothing here is real")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    cookie: str | None = None
    """A ``Set-Cookie`` value (the fictitious login's session)."""


def feed_answer(path: str, raw_path: str) -> Response | None:
    """The fictitious feed's page and its JSON (:mod:`cybercase.training.feed`)."""
    query = parse_qs(urlsplit(raw_path).query)
    if path == "/feed":
        return Response(HTTPStatus.OK, feed.feed_page())
    if path == "/api/feed":
        return Response(HTTPStatus.OK, feed.feed_json(feed.page_number(query)), "application/json")
    if path == "/api/comments":
        body = feed.comments_json(feed.page_number(query))
        return Response(HTTPStatus.OK, body, "application/json")
    return None


LOGIN_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in - CurioMarket (fictitious)</title></head>
<body><h1>Sign in</h1><p>A fictitious login form for training: any name and password work.</p>
<form method="post" action="/login">
<label>Name <input name="username" id="username"></label>
<label>Password <input type="password" name="password" id="password"></label>
<button type="submit" id="signin">Sign in</button>
</form></body></html>
"""


def login(form: dict[str, list[str]]) -> Response:
    """Any name and password sign in: a fresh random session cookie, as real sites set."""
    name = html.escape(form.get("username", [""])[-1] or "visitor")
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Signed in</title></head>"
        f"<body><h1>Signed in</h1><p>Welcome, {name}.</p><a href='/'>Home</a></body></html>"
    ).encode()
    token = "curio-" + secrets.token_hex(16)
    return Response(HTTPStatus.OK, body, cookie=f"curio_session={token}; Path=/; HttpOnly")


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


class Answering(Protocol):
    """What the server asks of the marketplace (:class:`~cybercase.training.marketplace.
    Marketplace`): an answer for a request, and a place to note visits and failures."""

    def _respond(
        self, method: str, raw_path: str, form: dict[str, list[str]]
    ) -> tuple[Response, int]: ...

    def _visited(self, visit: Visit) -> None: ...

    def _failed(self, text: str) -> None: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # POSIX: rebind at once after a restart (TIME_WAIT); Windows would let another
    # program share the port with SO_REUSEADDR, so it gets SO_EXCLUSIVEADDRUSE instead.
    allow_reuse_address = os.name != "nt"

    def __init__(self, address: tuple[str, int], handler: type[Handler], *, market: Answering):
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


class Handler(BaseHTTPRequestHandler):
    server: Server
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
            self._send(Response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"", "text/plain"), "POST")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        self._answer("POST", parse_qs(body, keep_blank_values=True))

    def _answer(self, method: str, form: dict[str, list[str]]) -> None:
        market = self.server.market
        response, day = market._respond(method, self.path, form)
        self._send(response, method)
        market._visited(Visit(method, self.path, response.status, day))

    def _send(self, response: Response, method: str) -> None:
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
