"""The exact bytes of an HTTP exchange, recorded at httpcore's network-backend seam.

httpx sends requests through httpcore, which reads and writes sockets through a
*network backend* (``httpcore.NetworkBackend`` / ``NetworkStream``, a public, documented
extension point of httpcore). :class:`RecordingBackend` wraps the standard synchronous
backend: it resolves names itself (so the DNS answers recorded are the ones used), tries
each address in turn, and returns streams that copy what is written and read into the
:class:`HopTap` of the hop in progress. httpcore's ``trace`` extension (also public) tells
the tap where the request and the response head begin and end, so a proxy's CONNECT or a
SOCKS handshake never ends up in the recorded exchange.

Only the request and the response *head* are kept in memory; the body is counted here and
streamed to disk by :mod:`cybercase.collect.http.fetch`. The tap also enforces the total time
limit of an attempt and stops at once when a batch is cancelled.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore

from cybercase.clock import Clock
from cybercase.collect.http.dns import is_ip_literal, resolve
from cybercase.collect.http.tls import tls_facts
from cybercase.collect.record import ConnectTry, DnsLookup, TlsFacts

MAX_HEAD_BYTES = 1024 * 1024
_local = threading.local()


class CaptureCancelled(Exception):  # noqa: N818 - a signal, not an error to report
    """The batch was interrupted: the hop in progress stops at its next read or write."""


class DnsFailure(httpcore.ConnectError):
    """The name could not be resolved."""

    def __init__(self, lookup: DnsLookup, transient: bool) -> None:
        super().__init__(f"the name {lookup.host} could not be resolved: {lookup.error}")
        self.lookup = lookup
        self.transient = transient


class ConnectFailure(httpcore.ConnectError):
    """No address of the host accepted a connection."""

    def __init__(self, host: str, port: int, tries: list[ConnectTry], refused: bool) -> None:
        what = "refused the connection" if refused else "could not be reached"
        detail = "; ".join(f"{t.address}: {t.error}" for t in tries)
        super().__init__(f"{host}:{port} {what} ({detail})")
        self.tries = tries
        self.refused = refused


class ConnectTimedOut(httpcore.ConnectTimeout):
    """Every address of the host timed out while connecting."""

    def __init__(self, host: str, port: int, tries: list[ConnectTry]) -> None:
        super().__init__(f"no connection to {host}:{port} within the connect timeout")
        self.tries = tries


class DeadlineExceeded(httpcore.ReadTimeout):
    """The attempt used up its total time (e.g. a server trickling bytes)."""


@dataclass(slots=True)
class HopTap:
    """What the wire says about one request/response exchange (one hop)."""

    clock: Clock
    deadline: float | None = None
    """``time.monotonic()`` value after which every read or write fails."""
    cancel: threading.Event | None = None
    started_mono: float = field(default_factory=time.monotonic)
    sent: bytearray = field(default_factory=bytearray)
    head: bytearray = field(default_factory=bytearray)
    received: int = 0
    capturing_request: bool = False
    capturing_head: bool = False
    request_started: bool = False
    head_complete: bool = False
    deadline_hit: bool = False
    dns: list[DnsLookup] = field(default_factory=list)
    tries: list[ConnectTry] = field(default_factory=list)
    remote: tuple[str, int] | None = None
    local: tuple[str, int] | None = None
    tls: TlsFacts | None = None
    marks: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    # -- limits -----------------------------------------------------------------

    def bounded(self, timeout: float | None) -> float | None:
        """The timeout for one socket operation, cut to what is left of the deadline."""
        if self.cancel is not None and self.cancel.is_set():
            raise CaptureCancelled("the capture was interrupted")
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.deadline_hit = True
            raise DeadlineExceeded("the attempt used up its total time limit")
        if timeout is None or left < timeout:
            return left
        return timeout

    def timed_out(self) -> None:
        """Note whether a timeout just raised was the total deadline."""
        if self.deadline is not None and time.monotonic() >= self.deadline - 0.001:
            self.deadline_hit = True

    # -- what the streams see ---------------------------------------------------

    def on_write(self, data: bytes) -> None:
        """Bytes sent on the connection."""
        if self.capturing_request:
            self.sent += data

    def on_read(self, data: bytes) -> None:
        """Bytes received on the connection."""
        self.received += len(data)
        if self.capturing_head and len(self.head) < MAX_HEAD_BYTES:
            self.head += data

    def mark(self, name: str) -> None:
        """Remember when a step happened."""
        self.marks[name] = time.monotonic()

    def ms(self, name: str) -> float | None:
        """Milliseconds from the hop's start to a step, if it happened."""
        at = self.marks.get(name)
        return None if at is None else round((at - self.started_mono) * 1000, 3)

    # -- httpcore's trace extension -----------------------------------------------

    def trace(self, name: str, info: dict[str, Any]) -> None:
        """Called by httpcore at each step of the exchange."""
        request = info.get("request")
        if request is not None and getattr(request, "method", b"") == b"CONNECT":
            return
        if name.endswith("connect_tcp.complete"):
            self.mark("connected")
        elif name.endswith("start_tls.complete"):
            self.mark("tls")
        elif name == "http11.send_request_headers.started":
            self.sent.clear()
            self.capturing_request = True
            self.request_started = True
        elif name == "http11.send_request_body.complete":
            self.capturing_request = False
            self.mark("request_sent")
        elif name == "http11.receive_response_headers.started":
            self.capturing_request = False
            self.head.clear()
            self.capturing_head = True
        elif name == "http11.receive_response_headers.complete":
            self.capturing_head = False
            self.head_complete = True
            self.mark("first_byte")
        elif name.endswith(".failed"):
            self.capturing_request = False
            self.capturing_head = False


@contextmanager
def tapping(tap: HopTap) -> Iterator[HopTap]:
    """Make ``tap`` the recorder of connections opened by this thread inside the block."""
    previous = getattr(_local, "tap", None)
    _local.tap = tap
    try:
        yield tap
    finally:
        _local.tap = previous


def current_tap() -> HopTap | None:
    """The tap of the hop this thread is running, if any."""
    tap: HopTap | None = getattr(_local, "tap", None)
    return tap


class RecordingStream(httpcore.NetworkStream):
    """A network stream that copies its traffic into a tap."""

    def __init__(self, inner: httpcore.NetworkStream, tap: HopTap | None) -> None:
        self._inner = inner
        self._tap = tap

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read, within the attempt's deadline, and record."""
        tap = self._tap
        if tap is None:
            return self._inner.read(max_bytes, timeout)
        try:
            data = self._inner.read(max_bytes, tap.bounded(timeout))
        except httpcore.ReadTimeout as exc:
            tap.timed_out()
            if tap.deadline_hit and not isinstance(exc, DeadlineExceeded):
                raise DeadlineExceeded("the attempt used up its total time limit") from exc
            raise
        tap.on_read(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write, within the attempt's deadline, and record."""
        tap = self._tap
        if tap is None:
            self._inner.write(buffer, timeout)
            return
        try:
            self._inner.write(buffer, tap.bounded(timeout))
        except httpcore.WriteTimeout as exc:
            tap.timed_out()
            if tap.deadline_hit:
                raise DeadlineExceeded("the attempt used up its total time limit") from exc
            raise
        tap.on_write(buffer)

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Upgrade to TLS and record the session's facts."""
        tap = self._tap
        bounded = timeout if tap is None else tap.bounded(timeout)
        inner = self._inner.start_tls(ssl_context, server_hostname, bounded)
        if tap is not None:
            ssl_object = inner.get_extra_info("ssl_object")
            if ssl_object is not None:
                tap.tls = tls_facts(
                    ssl_object,
                    server_hostname,
                    verified=ssl_context.verify_mode == ssl.CERT_REQUIRED,
                    warnings=tap.warnings,
                )
        return RecordingStream(inner, tap)

    def get_extra_info(self, info: str) -> Any:
        """Pass through (``ssl_object``, ``server_addr``...)."""
        return self._inner.get_extra_info(info)


class RecordingBackend(httpcore.NetworkBackend):
    """Resolves, connects address by address, and hands out recording streams."""

    def __init__(self, clock: Clock) -> None:
        self._inner = httpcore.SyncBackend()
        self._clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to ``host`` as the tap's hop requires, recording every step."""
        tap = current_tap()
        if is_ip_literal(host):
            addresses = [host.strip("[]")]
        else:
            resolution = resolve(host, port, self._clock)
            if tap is not None:
                tap.dns.append(resolution.lookup)
            if resolution.lookup.error is not None or not resolution.lookup.addresses:
                raise DnsFailure(resolution.lookup, resolution.transient)
            addresses = resolution.lookup.addresses
        tries: list[ConnectTry] = []
        refused = 0
        timeouts = 0
        for address in addresses:
            bounded = timeout if tap is None else tap.bounded(timeout)
            try:
                stream = self._inner.connect_tcp(
                    address, port, bounded, local_address, socket_options
                )
            except httpcore.ConnectTimeout:
                timeouts += 1
                tries.append(ConnectTry(address=address, port=port, error="timed out"))
                if tap is not None:
                    tap.timed_out()
                    if tap.deadline_hit:
                        tap.tries.extend(tries)
                        raise DeadlineExceeded("the attempt used up its total time limit") from None
                continue
            except httpcore.ConnectError as exc:
                cause = exc.__cause__ or exc.__context__
                if isinstance(cause, ConnectionRefusedError):
                    refused += 1
                tries.append(ConnectTry(address=address, port=port, error=str(cause or exc)))
                continue
            tries.append(ConnectTry(address=address, port=port))
            if tap is not None:
                tap.tries.extend(tries)
                tap.remote = _address(stream.get_extra_info("server_addr"))
                tap.local = _address(stream.get_extra_info("client_addr"))
            return RecordingStream(stream, tap)
        if tap is not None:
            tap.tries.extend(tries)
        if timeouts == len(tries):
            raise ConnectTimedOut(host, port, tries)
        raise ConnectFailure(host, port, tries, refused=refused == len(tries))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:  # pragma: no cover - captures never use unix sockets
        """Not used by captures."""
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        """Pass through."""
        self._inner.sleep(seconds)


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None
