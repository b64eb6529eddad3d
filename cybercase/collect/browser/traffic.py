"""Every request a browser page makes, recorded as raw HTTP for the capture's WARC.

A browser context is pointed at a small recording proxy on 127.0.0.1 (one listening port
per context, so that each request is known to belong to the page the context is showing).
The proxy does not relay bytes blindly: it reads each request the browser sends (HTTP/1.1,
parsed with h11; HTTPS through ``CONNECT``, where the proxy answers the browser's TLS with
a certificate it made for that host) and sends it on to the site itself through httpcore
and the same :class:`~cybercase.collect.http.wire.RecordingBackend` as the raw fetch. So every
exchange the page makes is recorded exactly as the raw capture's hops are: the request as
sent to the server, the response head as received, the body as served (content-encoding
kept, chunking removed), the DNS answers, the address connected to, and the TLS session
checked against certifi's roots plus the capture's CA bundle. The browser trusts the
proxy's certificates and nothing else (``ignore_https_errors`` for that context only, the
proxy being the only peer it ever talks to); the site's certificate is verified by the
proxy, with the capture's trust, exactly as the raw fetch verifies it.

The API is three steps, for one browser context::

    recorder = TrafficRecorder(clock=clock)       # one per browser
    traffic = recorder.start(TrafficSettings(ca_bundle=bundle))  # ONE browser context
    context = await browser.new_context(proxy=traffic.proxy, ignore_https_errors=True)
    traffic.begin(folder)                         # a page visit starts; bodies go to folder
    ...                                           # the page loads, scrolls, is captured
    log = traffic.collect()                       # TrafficLog: one WireHop per exchange
    traffic.stop()                                # when the context is closed
    recorder.close()                              # when the browser is

:meth:`ContextTraffic.collect` ends the visit: an exchange still streaming is cut there and
recorded with ``truncated: "time"``; one that had no answer yet is recorded with its
request and an error saying so; a body over the size limit is recorded up to the limit
(``truncated: "length"``) while the browser still gets all of it. Nothing the page asked
for is left out without a trace. Between visits the proxy refuses every request (closes
the connection): no traffic leaves the browser when no capture is running.
:meth:`ContextTraffic.next` ends one visit and begins the next in one step, so that a
continuous session (``cybercase browse``) never refuses a request between two pages.

Limits, said plainly in docs/capture.md: the proxy speaks HTTP/1.1 to sites (no HTTP/2,
no QUIC), opens a fresh connection per exchange (so each record's address and TLS facts
are those of its own connection), and does not relay WebSockets (refused, with a warning).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import threading
import time
from pathlib import Path

import h11
import httpcore
import httpx

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.browser.authority import ProxyAuthority
from cybercase.collect.browser.exchange import (
    ProxyExchange,
    ProxyVisit,
    block_digest_of,
    host_of,
    next_h11_event,
)
from cybercase.collect.browser.recording import TrafficLog, TrafficSettings
from cybercase.collect.http.failures import HTTPCORE_ERRORS, Classified, classify
from cybercase.collect.http.heads import drop_header, latin1, split_head
from cybercase.collect.http.hops import WireHop, new_record_id
from cybercase.collect.http.spool import Spool
from cybercase.collect.http.upstream import UpstreamPools
from cybercase.collect.http.wire import CaptureCancelled, HopTap, RecordingBackend, tapping
from cybercase.collect.record import Body, ConnectTry, Failure, Hop, Redaction, Timings
from cybercase.collect.redact import SECRET_HEADERS, Redactor

__all__ = ["ContextTraffic", "TrafficRecorder"]

MAX_CONNECTIONS = 64
"""Browser connections one context may hold open at once (Chromium uses at most 32)."""
MAX_REQUEST_BODY = 32 * 1024 * 1024
"""An upload larger than this is refused (413) rather than held in memory."""
SPOOL_IN_MEMORY = 256 * 1024
"""A page may load hundreds of answers: bodies above this wait for the WARC on disk."""
IDLE_TIMEOUT = 60.0
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authorization",
        b"proxy-authenticate",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_RESPONSE_DROP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"trailer"}
)


class TrafficRecorder:
    """Shared by every context of one browser: the certificates the proxy shows it."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._authority = ProxyAuthority()
        self._live: set[ContextTraffic] = set()
        self._lock = threading.Lock()

    def start(self, settings: TrafficSettings) -> ContextTraffic:
        """A new listener for one browser context (give it its :attr:`~ContextTraffic.proxy`)."""
        traffic = ContextTraffic(self, settings)
        with self._lock:
            self._live.add(traffic)
        return traffic

    def _forget(self, traffic: ContextTraffic) -> None:
        with self._lock:
            self._live.discard(traffic)

    def close(self) -> None:
        """Stop every listener and drop the proxy's key."""
        with self._lock:
            live = list(self._live)
        for traffic in live:
            traffic.stop()
        self._authority.close()


class ContextTraffic:
    """The recording proxy of one browser context."""

    def __init__(self, recorder: TrafficRecorder, settings: TrafficSettings) -> None:
        self._recorder = recorder
        self._settings = settings
        self._clock = recorder.clock
        self._upstream = UpstreamPools(
            RecordingBackend(recorder.clock), settings.ca_bundle, settings.proxy
        )
        self._redactor = (
            Redactor(())
            if settings.keep_secrets
            else Redactor(settings.secret_headers or SECRET_HEADERS)
        )
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.settimeout(0.25)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._clients: set[socket.socket] = set()
        self._visit: ProxyVisit | None = None
        self._counter = 0
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"cybercase-proxy-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def proxy(self) -> dict[str, str]:
        """The browser context's proxy setting (Playwright's form)."""
        return {"server": f"http://127.0.0.1:{self.port}"}

    # -- visits ---------------------------------------------------------------------

    def begin(self, folder: Path) -> None:
        """A page visit starts: requests from now on belong to it; bodies go under ``folder``."""
        with self._lock:
            self._visit = ProxyVisit(folder)
            self._counter = 0

    def collect(self) -> TrafficLog:
        """End the visit and give what it sent and received (in-flight exchanges cut here)."""
        with self._lock:
            visit, self._visit = self._visit, None
        return self._log(visit)

    def next(self, folder: Path) -> TrafficLog:
        """End the visit and begin the next one at once: no request is refused in between."""
        with self._lock:
            visit, self._visit = self._visit, ProxyVisit(folder)
            self._counter = 0
        return self._log(visit)

    def _log(self, visit: ProxyVisit | None) -> TrafficLog:
        log = TrafficLog()
        if visit is None:
            return log
        with visit.lock:
            visit.open = False
            exchanges = list(visit.exchanges)
            log.warnings.extend(visit.warnings)
        cut = 0
        for exchange in exchanges:
            with exchange.lock:
                if not exchange.done:
                    cut += 1
                    exchange.frozen = True
                    exchange.cancel.set()
                    if exchange.status is not None and exchange.truncated is None:
                        exchange.truncated = "time"
                    if exchange.spool is not None:
                        exchange.spool.close()
                wire, redactions = self._snapshot(exchange)
            log.exchanges.append(wire)
            log.redactions.extend(redactions)
            if exchange.tap is not None:
                for lookup in exchange.tap.dns:
                    if not any(d.host == lookup.host for d in log.dns):
                        log.dns.append(lookup)
        if cut:
            log.warnings.append(
                f"{cut} browser request(s) were still open when the page was captured; "
                "they are recorded as far as they got (truncated: time, or no response)"
            )
        failed = sum(1 for w in log.exchanges if w.hop.error is not None and w.hop.status is None)
        if failed:
            log.warnings.append(
                f"{failed} browser request(s) got no answer from the site; the record says why"
            )
        return log

    def stop(self) -> None:
        """Close the listener and every browser connection."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            clients = list(self._clients)
            visit, self._visit = self._visit, None
        if visit is not None:
            with visit.lock:
                visit.open = False
                for exchange in visit.exchanges:
                    exchange.cancel.set()
        for client in clients:
            # shutdown wakes a thread blocked reading; close alone may not.
            with contextlib.suppress(OSError, ValueError):
                client.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                client.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        self._upstream.close()
        self._recorder._forget(self)

    # -- serving the browser ------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if len(self._clients) >= MAX_CONNECTIONS or self._stopping.is_set():
                    client.close()
                    continue
                self._clients.add(client)
            threading.Thread(
                target=self._serve, args=(client,), name="cybercase-proxy-conn", daemon=True
            ).start()

    def _serve(self, client: socket.socket) -> None:
        sock: socket.socket = client
        try:
            sock.settimeout(IDLE_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = h11.Connection(h11.SERVER)
            origin: tuple[str, str] | None = None
            while not self._stopping.is_set():
                event = next_h11_event(conn, sock)
                if not isinstance(event, h11.Request):
                    return
                if event.method == b"CONNECT" and origin is None:
                    host = event.target.decode("latin-1")
                    sock.sendall(conn.send(h11.Response(status_code=200, headers=[])) or b"")
                    trailing, _ = conn.trailing_data
                    hostname = host_of(host)
                    sock = self._tls(sock, hostname, trailing)
                    with self._lock:
                        self._clients.add(sock)
                    conn = h11.Connection(h11.SERVER)
                    origin = ("https", host)
                    continue
                if not self._handle(conn, sock, event, origin):
                    return
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                try:
                    conn.start_next_cycle()
                except h11.LocalProtocolError:
                    return
        except (OSError, h11.ProtocolError, ssl.SSLError, CaptureCancelled):
            return
        finally:
            with self._lock:
                self._clients.discard(client)
                self._clients.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()
            with contextlib.suppress(OSError):
                client.close()

    def _tls(self, sock: socket.socket, host: str, trailing: bytes) -> socket.socket:
        if trailing:
            raise h11.RemoteProtocolError("data sent before the TLS handshake")
        context = self._recorder._authority.context_for(host)
        return context.wrap_socket(sock, server_side=True)

    def _handle(
        self,
        conn: h11.Connection,
        sock: socket.socket,
        request: h11.Request,
        origin: tuple[str, str] | None,
    ) -> bool:
        """One request: forward, record, answer. False when the connection must end."""
        target = request.target.decode("latin-1")
        if origin is not None:
            url = f"{origin[0]}://{origin[1]}{target}"
            url = url.replace(":443/", "/", 1) if url.startswith("https://") else url
        else:
            url = target
        with self._lock:
            visit = self._visit
        if visit is None:
            return False
        body = bytearray()
        while True:
            event = next_h11_event(conn, sock)
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_REQUEST_BODY:
                    with visit.lock:
                        visit.warnings.append(
                            f"an upload of more than {MAX_REQUEST_BODY} bytes to {url} was "
                            "refused by the recording proxy"
                        )
                    sock.sendall(conn.send(h11.Response(status_code=413, headers=[])) or b"")
                    return False
            elif isinstance(event, h11.EndOfMessage):
                break
            else:
                return False
        headers = list(request.headers.raw_items())
        if any(k.lower() == b"upgrade" for k, _ in headers):
            with visit.lock:
                visit.warnings.append(
                    f"a WebSocket connection to {url} was refused: the recording proxy does not "
                    "relay WebSockets"
                )
            return False
        with visit.lock:
            if not visit.open:
                return False
            self._counter += 1
            exchange = ProxyExchange(
                number=self._counter,
                url=url,
                method=request.method.decode("ascii", "replace"),
                started=format_utc(self._clock.now()),
                started_mono=time.monotonic(),
            )
            exchange.spool = Spool(
                visit.folder_source, f"traffic-{self._counter}.body", threshold=SPOOL_IN_MEMORY
            )
            visit.exchanges.append(exchange)
        return self._forward(conn, sock, exchange, headers, bytes(body))

    def _forward(
        self,
        conn: h11.Connection,
        sock: socket.socket,
        exchange: ProxyExchange,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> bool:
        settings = self._settings
        sent_headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        if body and not any(k.lower() == b"content-length" for k, _ in sent_headers):
            sent_headers.append((b"Content-Length", str(len(body)).encode("ascii")))
        exchange.request_pairs = [(latin1(k), latin1(v)) for k, v in sent_headers]
        response = self._open(exchange, sent_headers, body, verify=True)
        if (
            response is None
            and exchange.failure is not None
            and exchange.failure.outcome == "tls-failure"
            and settings.insecure
            and not exchange.frozen
        ):
            reason = exchange.failure.message
            exchange.verification_error = reason
            first = exchange.tap
            exchange.earlier_tries = [
                *(first.tries if first else []),
                ConnectTry(
                    address=first.remote[0] if first and first.remote else "",
                    port=first.remote[1] if first and first.remote else 0,
                    error=f"{reason} (connected again without verification: --insecure)",
                ),
            ]
            exchange.failure = None
            exchange.unparsed = None
            response = self._open(exchange, sent_headers, body, verify=False)
        if response is None:
            with exchange.lock:
                exchange.done = True
                exchange.ended = format_utc(self._clock.now())
            return False
        return self._relay(conn, sock, exchange, response)

    def _open(
        self,
        exchange: ProxyExchange,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        verify: bool,
    ) -> httpcore.Response | None:
        settings = self._settings
        tap = HopTap(
            clock=self._clock,
            deadline=time.monotonic() + settings.total_timeout,
            cancel=exchange.cancel,
        )
        exchange.tap = tap
        url = httpx.URL(exchange.url)
        request = httpcore.Request(
            method=exchange.method.encode("ascii"),
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=headers,
            content=body,
            extensions={
                "timeout": {
                    "connect": settings.connect_timeout,
                    "read": settings.read_timeout,
                    "write": settings.read_timeout,
                    "pool": settings.connect_timeout,
                },
                "trace": tap.trace,
            },
        )
        with tapping(tap):
            try:
                response = self._upstream.pool(verify).handle_request(request)
            except HTTPCORE_ERRORS as exc:
                with exchange.lock:
                    exchange.failure = classify(exc, settings.limits())
                    if tap.head:
                        exchange.unparsed = bytes(tap.head)
                return None
            except CaptureCancelled:
                with exchange.lock:
                    exchange.failure = Classified(
                        "timeout", "the page was captured before this request had an answer", False
                    )
                return None
        headers_in = list(response.headers)
        head, _ = split_head(bytes(tap.head))
        te = next((v for k, v in headers_in if k.lower() == b"transfer-encoding"), None)
        if head is not None and te is not None:
            head = drop_header(head, b"transfer-encoding")
        with exchange.lock:
            exchange.status = response.status
            exchange.reason = latin1(response.extensions.get("reason_phrase", b""))
            exchange.http_version = latin1(response.extensions.get("http_version", b"HTTP/1.1"))
            exchange.response_headers = headers_in
            exchange.response_head = head
            exchange.transfer_encoding = te
            exchange.block = hashlib.sha256(head or b"")
        return response

    def _relay(
        self,
        conn: h11.Connection,
        sock: socket.socket,
        exchange: ProxyExchange,
        response: httpcore.Response,
    ) -> bool:
        """Stream the answer to the browser while recording it; read on if the browser left."""
        limit = self._settings.max_body_bytes
        out_headers = [
            (k, v) for k, v in exchange.response_headers if k.lower() not in _RESPONSE_DROP
        ]
        browser_ok = True
        try:
            sock.sendall(
                conn.send(
                    h11.Response(
                        status_code=response.status,
                        headers=out_headers,
                        reason=response.extensions.get("reason_phrase", b""),
                    )
                )
                or b""
            )
        except (OSError, h11.LocalProtocolError):
            browser_ok = False
        try:
            for chunk in response.iter_stream():
                with exchange.lock:
                    if exchange.frozen:
                        break
                    room = limit - exchange.size
                    kept = chunk if len(chunk) <= room else chunk[:room]
                    if len(kept) < len(chunk):
                        exchange.truncated = "length"
                    if kept and exchange.spool is not None:
                        exchange.spool.write(kept)
                        exchange.payload.update(kept)
                        exchange.block.update(kept)
                        exchange.size += len(kept)
                if browser_ok:
                    try:
                        sock.sendall(conn.send(h11.Data(data=chunk)) or b"")
                    except (OSError, h11.LocalProtocolError):
                        browser_ok = False
                if not browser_ok and exchange.truncated == "length":
                    break
        except HTTPCORE_ERRORS as exc:
            with exchange.lock:
                if not exchange.frozen:
                    failure = classify(exc, self._settings.limits())
                    exchange.truncated = "time" if failure.outcome == "timeout" else "disconnect"
                    exchange.failure = Classified(
                        failure.outcome,
                        f"{failure.message} (after {exchange.size} bytes of the body; the part "
                        "received is kept)",
                        failure.transient,
                        failure.error_type,
                    )
            browser_ok = False
        except CaptureCancelled:
            browser_ok = False
        finally:
            response.close()
            with exchange.lock:
                if not exchange.frozen:
                    exchange.done = True
                    exchange.ended = format_utc(self._clock.now())
                    if exchange.spool is not None:
                        exchange.spool.close()
        if browser_ok and exchange.failure is None:
            try:
                sock.sendall(conn.send(h11.EndOfMessage()) or b"")
            except (OSError, h11.LocalProtocolError):
                return False
            return True
        return False

    # -- records --------------------------------------------------------------------

    def _snapshot(self, exchange: ProxyExchange) -> tuple[WireHop, list[Redaction]]:
        """The exchange as a WireHop (called under its lock, once it is done or frozen)."""
        settings = self._settings
        tap = exchange.tap
        wire = WireHop(
            hop=Hop(
                index=0,
                url=exchange.url,
                method=exchange.method,
                started=exchange.started,
                ended=exchange.started,
            )
        )
        redactions: list[Redaction] = []
        where = f"browser request {exchange.number}"
        redactor = self._redactor
        if tap is not None and tap.request_started and tap.sent:
            sent = bytes(tap.sent)
            head, gap, request_body = sent.partition(b"\r\n\r\n")
            head, redactions = redactor.head(head + gap, where)
            if request_body and settings.withhold_request_bodies:
                request_body, withheld = self._withhold(request_body, where, "(request body)")
                redactions.append(withheld)
            wire.request_bytes = head + request_body
        pairs = redactor.pairs(exchange.request_pairs)
        body: Body | None = None
        response_headers = [(latin1(k), latin1(v)) for k, v in exchange.response_headers]
        if exchange.status is not None:
            wire.response_head = exchange.response_head
            wire.body = exchange.spool
            wire.payload_digest = "sha256:" + exchange.payload.hexdigest()
            wire.block_digest = "sha256:" + exchange.block.hexdigest()
            if settings.withhold_set_cookie and wire.response_head is not None:
                cookies = Redactor(("set-cookie",), self._redactor.key)
                wire.response_head, found = cookies.head(wire.response_head, f"{where} response")
                if found:
                    redactions.extend(found)
                    response_headers = cookies.pairs(response_headers)
                    wire.block_digest = block_digest_of(wire.response_head, exchange.spool)

            def header(name: bytes) -> str | None:
                return next(
                    (latin1(v) for k, v in exchange.response_headers if k.lower() == name), None
                )

            declared = header(b"content-length")
            body = Body(
                size=exchange.size,
                sha256=wire.payload_digest,
                truncated=exchange.truncated,
                declared_length=int(declared) if declared and declared.isdigit() else None,
                content_type=header(b"content-type"),
                content_encoding=header(b"content-encoding"),
                transfer_encoding_removed=latin1(exchange.transfer_encoding)
                if exchange.transfer_encoding
                else None,
            )
        failure = exchange.failure
        if failure is None and exchange.status is None:
            failure = Classified(
                "timeout", "the page was captured before this request had an answer", False
            )
        if exchange.unparsed:
            wire.unparsed = exchange.unparsed
        tls = tap.tls if tap is not None else None
        if tls is not None and exchange.verification_error:
            tls = tls.model_copy(update={"verification_error": exchange.verification_error})
        now = time.monotonic()
        wire.hop = wire.hop.model_copy(
            update={
                "ended": exchange.ended or format_utc(self._clock.now()),
                "status": exchange.status,
                "reason": exchange.reason,
                "http_version": exchange.http_version,
                "request_headers": pairs,
                "response_headers": response_headers,
                "remote_ip": tap.remote[0] if tap and tap.remote else None,
                "remote_port": tap.remote[1] if tap and tap.remote else None,
                "local_ip": tap.local[0] if tap and tap.local else None,
                "local_port": tap.local[1] if tap and tap.local else None,
                "via_proxy": settings.proxy is not None,
                "connect_tries": [*exchange.earlier_tries, *(tap.tries if tap else [])],
                "tls": tls,
                "timings": Timings.measured(tap, exchange.started_mono, now),
                "body": body,
                "error": Failure.of(failure),
                "warc_request_id": new_record_id() if wire.request_bytes is not None else None,
                "warc_response_id": new_record_id()
                if wire.response_head is not None and wire.body is not None
                else None,
                "unparsed_bytes": len(wire.unparsed) if wire.unparsed else None,
                "warc_unparsed_id": new_record_id() if wire.unparsed else None,
            }
        )
        return wire, redactions

    def _withhold(self, value: bytes, where: str, what: str) -> tuple[bytes, Redaction]:
        text, digest = self._redactor.placeholder(value)
        return text.encode("ascii"), Redaction(
            where=where,
            header=what,
            algorithm="hmac-sha256",
            key_id=self._redactor.key().key_id,
            digest=digest,
            placeholder=text,
        )
