"""The test TSA over HTTP on 127.0.0.1 (RFC 3161 over HTTP), for tests, the demo and a classroom.

:func:`start_test_tsa` and :func:`run_test_tsa` serve a :class:`~cybercase.training.tsa.
LocalTimestampAuthority`; :func:`start_classroom_tsa` keeps its PKI beside the case.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase.clock import Clock
from cybercase.errors import StorageError, UsageError
from cybercase.training.tsa import Behaviour, LocalTimestampAuthority
from cybercase.training.tsa_pki import CHAIN_PEM, ROOT_PEM, TEST_POLICY_OID, TsaPki

MAX_REQUEST = 64 * 1024


class _Handler(http.server.BaseHTTPRequestHandler):
    server: TsaServer
    protocol_version = "HTTP/1.1"  # keep-alive: a client may send many requests
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed ACK

    def do_POST(self) -> None:
        tsa_server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_REQUEST:
            self.send_error(400, "a timestamp query of at most 64 KiB is expected")
            return
        body = self.rfile.read(length)
        tsa_server.count_request()
        behaviour = tsa_server.behaviour
        if behaviour == "http-error":
            self.send_error(503, "test TSA told to fail")
            return
        if behaviour == "garbage":
            reply = b"this is not a timestamp response"
        elif behaviour == "reject":
            reply = tsa_server.authority.refuse("system_failure", "test TSA told to refuse")
        else:
            reply = tsa_server.authority.respond(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the demo read results, not access logs."""


class TsaServer(http.server.ThreadingHTTPServer):
    """The authority behind HTTP on 127.0.0.1 and an ephemeral port."""

    daemon_threads = True

    def __init__(
        self, authority: LocalTimestampAuthority, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__((host, port), _Handler)
        self.authority = authority
        self.behaviour: Behaviour = "grant"
        self.requests = 0
        self._count_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember each open (keep-alive) connection, so that stopping can cut it."""
        with self._count_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection when it ends."""
        with self._count_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Cut every open connection: a stopped TSA must not answer on old ones."""
        with self._count_lock:
            connections, self._connections = set(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def count_request(self) -> None:
        """One more request reached the authority (benchmarks count round trips)."""
        with self._count_lock:
            self.requests += 1

    @property
    def url(self) -> str:
        """Where to send requests."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/tsa"


@dataclass(slots=True)
class RunningTsa:
    """A started test TSA: where it answers and the files a verifier needs."""

    url: str
    root_pem: Path
    """The TEST root certificate (``openssl ts -verify -CAfile``)."""
    chain_pem: Path
    """The TSA certificate and its issuing CA (``-untrusted``)."""
    folder: Path
    server: TsaServer
    thread: threading.Thread | None = None
    stopped: bool = field(default=False)

    @property
    def requests(self) -> int:
        """How many requests reached the authority so far."""
        return self.server.requests

    @property
    def authority(self) -> LocalTimestampAuthority:
        """The signer, e.g. to change its clock or policy."""
        return self.server.authority

    def set_behaviour(self, behaviour: Behaviour) -> None:
        """Make the TSA grant, refuse, fail with HTTP 503, or answer garbage."""
        self.server.behaviour = behaviour

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C reaches the caller as KeyboardInterrupt)."""
        while self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop answering and close the port: further requests are refused."""
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.server.drop_connections()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def config_toml(self, name: str = "test-tsa", **extra: str | int) -> str:
        """A ``[tsa]`` configuration naming this authority (tests and the demo)."""
        lines = [
            "[[tsa.authorities]]",
            f'name = "{name}"',
            f'url = "{self.url}"',
            # Absolute: a configuration file reads relative paths from its own folder.
            f'roots = ["{self.root_pem.absolute().as_posix()}"]',
            f'chain = ["{self.chain_pem.absolute().as_posix()}"]',
        ]
        for key, value in extra.items():
            lines.append(f"{key} = {value!r}" if isinstance(value, int) else f'{key} = "{value}"')
        return "\n".join(lines) + "\n"


def start_test_tsa(
    folder: Path,
    *,
    clock: Clock | None = None,
    pki: TsaPki | None = None,
    policy: str = TEST_POLICY_OID,
    port: int = 0,
) -> RunningTsa:
    """Start a test TSA on 127.0.0.1 in a background thread; call ``stop()`` when done.

    ``folder`` keeps the PKI (created on first use and reused after, unless ``pki`` is
    given, which is then written there). ``port`` 0 takes a free port.
    """
    if pki is None:
        pki = TsaPki.load_or_create(folder)
    else:
        pki.write(folder)
    server = TsaServer(LocalTimestampAuthority(pki, clock=clock, policy=policy), port=port)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="test-tsa", daemon=True
    )
    running = RunningTsa(
        url=server.url,
        root_pem=folder / ROOT_PEM,
        chain_pem=folder / CHAIN_PEM,
        folder=folder,
        server=server,
        thread=thread,
    )
    thread.start()
    return running


@contextlib.contextmanager
def run_test_tsa(
    folder: Path,
    *,
    clock: Clock | None = None,
    pki: TsaPki | None = None,
    policy: str = TEST_POLICY_OID,
) -> Iterator[RunningTsa]:
    """:func:`start_test_tsa` for the length of a ``with`` block."""
    running = start_test_tsa(folder, clock=clock, pki=pki, policy=policy)
    try:
        yield running
    finally:
        running.stop()


def _case_holding(folder: Path) -> Path | None:
    """The case folder that ``folder`` is in (or is), if any."""
    from cybercase.evidence.case import CASE_JSON
    from cybercase.evidence.log.jsonl import LOG_NAME

    for parent in [folder.absolute(), *folder.absolute().parents]:
        if (parent / CASE_JSON).is_file() and (parent / LOG_NAME).is_file():
            return parent
    return None


def start_classroom_tsa(folder: Path, *, port: int = 0) -> RunningTsa:
    """Start a test TSA for a class and write what students point cybercase at.

    Its URL goes to ``url.txt`` in ``folder``, next to ``root.pem`` and ``chain.pem``,
    and the ``[tsa]`` configuration naming it to ``config.toml`` (for
    ``CYBERCASE_CONFIG``). The PKI in ``folder`` is reused on the next start, so
    tokens granted on day one still verify on day two.
    """
    from cybercase.training.marketplace_http import bind_error

    case = _case_holding(folder)
    if case is not None:
        raise UsageError(
            f"{folder} is inside the case {case}: the test TSA's private keys would become "
            "part of the case (and of its exports)",
            hint="run it from outside the case, or give --dir a folder outside it",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        pki = TsaPki.load_or_create(folder)
    except OSError as exc:
        raise StorageError(
            f"cannot keep the classroom TSA's certificates in {folder}: {exc.strerror or exc}",
            hint="choose a folder you can write to with --dir",
        ) from exc
    try:
        running = start_test_tsa(folder, pki=pki, port=port)
    except OSError as exc:
        raise bind_error(port, exc) from exc
    (folder / "url.txt").write_text(running.url + "\n", encoding="utf-8")
    (folder / "config.toml").write_text(running.config_toml("classroom-tsa"), encoding="utf-8")
    return running
