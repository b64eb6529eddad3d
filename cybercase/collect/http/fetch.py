"""Fetching one URL, hop by hop, with every byte and fact recorded.

:class:`Fetcher` is shared by all the threads of a batch. For each attempt it follows the
redirect chain itself (so that every hop has its own request, response, timings, remote
address and TLS facts), streams each body to a file in the capture's work folder (hashing
it in the same pass, cut at the size limit), and classifies any failure: a failed attempt
is evidence too. Transient failures (timeouts, resets, refused connections, a temporary
resolver error, HTTP 429/502/503/504) are retried with exponential backoff; every attempt
is kept.

Each hop uses a fresh connection (keep-alive is off), so the address and TLS session
recorded for a hop are those of the connection that carried it.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import http.cookiejar
import threading
import time
from typing import Literal

import httpcore
import httpx

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.config import CaptureSettings
from cybercase.collect.cookies import load_cookies_txt
from cybercase.collect.http.failures import (
    HTTPCORE_ERRORS,
    KEPT,
    Classified,
    classify,
    cut_message,
)
from cybercase.collect.http.heads import drop_header, latin1, retry_after_seconds, split_head
from cybercase.collect.http.hops import AttemptResult, FetchResult, WireHop, new_record_id
from cybercase.collect.http.spool import FolderSource, Spool
from cybercase.collect.http.upstream import UpstreamPools
from cybercase.collect.http.wire import CaptureCancelled, HopTap, RecordingBackend, tapping
from cybercase.collect.record import Body, ConnectTry, Failure, Hop, Timings
from cybercase.collect.redact import Credentials, Redactor, split_credentials, strip_userinfo

REDIRECTS = frozenset({301, 302, 303, 307, 308})
TRANSIENT_STATUS = frozenset({429, 502, 503, 504})
MAX_BACKOFF = 60.0
CHUNK = 256 * 1024


_COOKIE_HEADERS = frozenset({b"set-cookie", b"set-cookie2"})
"""The headers ``http.cookiejar`` reads cookies from."""


class Fetcher:
    """Fetches URLs with the batch's settings; safe to share between threads."""

    def __init__(
        self,
        settings: CaptureSettings,
        *,
        clock: Clock | None = None,
        cancel: threading.Event | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor or Redactor.for_headers(settings.headers, settings.keep_headers)
        self.clock: Clock = clock or SystemClock()
        self.cancel = cancel
        self._cookies = load_cookies_txt(settings.cookies_file) if settings.cookies_file else None
        self._upstream = UpstreamPools(
            RecordingBackend(self.clock), settings.ca_bundle, settings.proxy
        )

    def _pool(self, verify: bool) -> httpcore.ConnectionPool:
        return self._upstream.pool(verify)

    def close(self) -> None:
        """Close every connection."""
        self._upstream.close()

    def _jar(self) -> httpx.Cookies:
        jar = http.cookiejar.CookieJar()
        if self._cookies is not None:
            for cookie in self._cookies:
                jar.set_cookie(copy.copy(cookie))
        return httpx.Cookies(jar)

    def _headers(self, referer: str | None) -> list[tuple[str, str]]:
        headers = [
            ("User-Agent", self.settings.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Encoding", "gzip, deflate"),
        ]
        if referer:
            headers.append(("Referer", referer))
        headers.extend(self.settings.headers.items())
        return headers

    # -- fetching -------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        folder: FolderSource,
        *,
        max_body: int,
        text_limit: int = 0,
        referer: str | None = None,
        retries: int | None = None,
        label: str = "",
        credentials: Credentials | None = None,
    ) -> FetchResult:
        """Every attempt at ``url`` (retrying transient failures); large bodies go to ``folder``.

        ``credentials`` (or a ``user:password@`` in ``url``, split off here) are sent as
        HTTP Basic authentication to their origin only; no stored URL carries them.
        """
        url, found = split_credentials(url)
        credentials = credentials or found
        allowed = self.settings.retries if retries is None else retries
        attempts: list[AttemptResult] = []
        for number in range(1, allowed + 2):
            attempt = self._attempt(
                url, number, folder, max_body, text_limit, referer, label, credentials
            )
            attempts.append(attempt)
            if not attempt.transient or number > allowed:
                break
            delay = attempt.retry_after
            if delay is None:
                delay = self.settings.backoff * (2 ** (number - 1))
            self._sleep(min(delay, MAX_BACKOFF))
        return FetchResult(url, attempts)

    def _sleep(self, seconds: float) -> None:
        if self.cancel is None:
            time.sleep(seconds)
        elif self.cancel.wait(seconds):
            raise CaptureCancelled("the capture was interrupted")

    def _attempt(
        self,
        url: str,
        number: int,
        folder: FolderSource,
        max_body: int,
        text_limit: int,
        referer: str | None,
        label: str,
        credentials: Credentials | None,
    ) -> AttemptResult:
        result = AttemptResult(number=number, started=format_utc(self.clock.now()))
        deadline = time.monotonic() + self.settings.total_timeout
        cookies = self._jar()
        seen: list[str] = []
        current = url
        for index in range(self.settings.max_redirects + 1):
            wire, failure, status = self._hop(
                current,
                index,
                result,
                cookies,
                deadline,
                Spool(folder, f"{label}a{number}-h{index}.body"),
                max_body,
                text_limit,
                referer,
                credentials,
            )
            result.hops.append(wire)
            if failure is not None:
                result.outcome, result.message, result.transient = (
                    failure.outcome,
                    failure.message,
                    failure.transient,
                )
                break
            assert status is not None
            location = next(
                (v for k, v in wire.hop.response_headers if k.lower() == "location"), None
            )
            if status in REDIRECTS and location:
                seen.append(current)
                try:
                    # User-info in a Location stays in the response head (the server's
                    # evidence) but is neither sent nor stored in a URL.
                    target = strip_userinfo(str(httpx.URL(current).join(location.strip())))
                except (httpx.InvalidURL, ValueError) as exc:
                    result.outcome, result.message = (
                        "bad-redirect",
                        f"the redirect to {location!r} is not a valid URL ({exc})",
                    )
                    break
                if httpx.URL(target).scheme not in ("http", "https"):
                    result.outcome, result.message = (
                        "bad-redirect",
                        f"the server redirected to {target!r}, which is not http(s)",
                    )
                    break
                if target in seen and not wire.set_cookie:
                    loop = [*seen[seen.index(target) :], target]
                    result.outcome, result.message = (
                        "redirect-loop",
                        "redirect loop: " + " → ".join(loop),
                    )
                    break
                if index == self.settings.max_redirects:
                    result.outcome, result.message = (
                        "too-many-redirects",
                        f"more than {self.settings.max_redirects} redirects; the chain stopped "
                        f"at {target}",
                    )
                    break
                referer = None
                current = target
                continue
            if status >= 400:
                result.outcome = "http-error"
                result.message = (
                    f"the server answered HTTP {status} {wire.hop.reason or ''}".strip()
                )
                result.transient = status in TRANSIENT_STATUS
                result.retry_after = retry_after_seconds(
                    [
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in wire.hop.response_headers
                    ]
                )
            elif wire.hop.body is not None and wire.hop.body.truncated == "length":
                result.outcome = "truncated"
                result.message = cut_message(status, wire.hop.body, max_body)
            else:
                result.outcome = "captured"
                result.message = f"captured: HTTP {status} {wire.hop.reason or ''}".strip()
            break
        result.ended = format_utc(self.clock.now())
        return result

    def _hop(
        self,
        url: str,
        index: int,
        attempt: AttemptResult,
        cookies: httpx.Cookies,
        deadline: float,
        spool: Spool,
        max_body: int,
        text_limit: int,
        referer: str | None,
        credentials: Credentials | None = None,
    ) -> tuple[WireHop, Classified | None, int | None]:
        auth = credentials if credentials is not None and credentials.applies_to(url) else None
        wire, failure, status = self._exchange(
            url, index, attempt, cookies, deadline, spool, max_body, text_limit, referer, True, auth
        )
        if failure is None or failure.outcome != "tls-failure" or not self.settings.insecure:
            return wire, failure, status
        reason = failure.message
        retry, failure2, status2 = self._exchange(
            url,
            index,
            attempt,
            cookies,
            deadline,
            spool,
            max_body,
            text_limit,
            referer,
            False,
            auth,
        )
        hop = retry.hop
        tls = hop.tls.model_copy(update={"verification_error": reason}) if hop.tls else None
        tries = [
            *wire.hop.connect_tries,
            ConnectTry(
                address=wire.hop.remote_ip or "",
                port=wire.hop.remote_port or 0,
                error=f"{reason} (connected again without verification: --insecure)",
            ),
            *hop.connect_tries,
        ]
        retry.hop = hop.model_copy(update={"tls": tls, "connect_tries": tries})
        attempt.warnings.append(
            f"{url}: {reason}; captured anyway without verification because --insecure was given"
        )
        return retry, failure2, status2

    def _exchange(
        self,
        url: str,
        index: int,
        attempt: AttemptResult,
        cookies: httpx.Cookies,
        deadline: float,
        spool: Spool,
        max_body: int,
        text_limit: int,
        referer: str | None,
        verify: bool,
        auth: Credentials | None = None,
    ) -> tuple[WireHop, Classified | None, int | None]:
        settings = self.settings
        tap = HopTap(clock=self.clock, deadline=deadline, cancel=self.cancel)
        started = format_utc(self.clock.now())
        headers = self._headers(referer)
        if auth is not None and not any(k.lower() == "authorization" for k, _ in headers):
            headers.append(("Authorization", auth.authorization()))
        request = httpx.Request("GET", url, headers=headers)
        if len(cookies.jar):
            # An empty jar adds nothing; asking it costs a urllib request per hop.
            cookies.set_cookie_header(request)
        core_request = httpcore.Request(
            method=b"GET",
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
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
        failure: Classified | None = None
        status: int | None = None
        reason: str | None = None
        http_version: str | None = None
        response_headers: list[tuple[bytes, bytes]] = []
        body: Body | None = None
        wire = WireHop(hop=Hop(index=index, url=url, method="GET", started=started, ended=started))
        with tapping(tap):
            try:
                response = self._pool(verify).handle_request(core_request)
            except HTTPCORE_ERRORS as exc:
                failure = classify(exc, settings)
                response = None
                if tap.head:
                    wire.unparsed = bytes(tap.head)
            if response is not None:
                status = response.status
                reason = latin1(response.extensions.get("reason_phrase", b""))
                http_version = latin1(response.extensions.get("http_version", b"HTTP/1.1"))
                response_headers = list(response.headers)
                head, informational = split_head(bytes(tap.head))
                te = next(
                    (v for k, v in response_headers if k.lower() == b"transfer-encoding"), None
                )
                if head is not None and te is not None:
                    head = drop_header(head, b"transfer-encoding")
                wire.response_head = head
                body, failure = self._read_body(
                    response, wire, spool, max_body, text_limit, te, response_headers
                )
                wire.hop = wire.hop.model_copy(update={"informational": informational})
                names = {k.lower() for k, _ in response_headers}
                wire.set_cookie = b"set-cookie" in names
                if names & _COOKIE_HEADERS:
                    # Without these headers the jar would take nothing from the response.
                    cookies.extract_cookies(
                        httpx.Response(status, headers=response_headers, request=request)
                    )
        attempt.dns.extend(tap.dns)
        attempt.warnings.extend(tap.warnings)
        where = f"attempt {attempt.number} hop {index}"
        request_pairs = [(latin1(k), latin1(v)) for k, v in request.headers.raw]
        if tap.request_started and tap.sent:
            sent = bytes(tap.sent)
            if not settings.keep_secrets:
                sent, found = self.redactor.head(sent, f"{where} request")
                attempt.redactions.extend(found)
            wire.request_bytes = sent
        if not settings.keep_secrets:
            request_pairs = self.redactor.pairs(request_pairs)
        now = time.monotonic()
        proxied = settings.proxy is not None
        wire.hop = wire.hop.model_copy(
            update={
                "ended": format_utc(self.clock.now()),
                "status": status,
                "reason": reason,
                "http_version": http_version,
                "request_headers": request_pairs,
                "response_headers": [(latin1(k), latin1(v)) for k, v in response_headers],
                "remote_ip": tap.remote[0] if tap.remote else None,
                "remote_port": tap.remote[1] if tap.remote else None,
                "local_ip": tap.local[0] if tap.local else None,
                "local_port": tap.local[1] if tap.local else None,
                "via_proxy": proxied,
                "connect_tries": list(tap.tries),
                "tls": tap.tls,
                "timings": Timings.measured(tap, tap.started_mono, now),
                "body": body,
                "error": Failure.of(failure),
                "warc_request_id": new_record_id() if wire.request_bytes is not None else None,
                "warc_response_id": new_record_id() if wire.response_head is not None else None,
                "unparsed_bytes": len(wire.unparsed) if wire.unparsed else None,
                "warc_unparsed_id": new_record_id() if wire.unparsed else None,
            }
        )
        return wire, failure, (status if failure is None else None)

    def _read_body(
        self,
        response: httpcore.Response,
        wire: WireHop,
        spool: Spool,
        max_body: int,
        text_limit: int,
        transfer_encoding: bytes | None,
        headers: list[tuple[bytes, bytes]],
    ) -> tuple[Body, Classified | None]:
        def header(name: bytes) -> str | None:
            return next((latin1(v) for k, v in headers if k.lower() == name), None)

        content_type = header(b"content-type")
        keep_text = text_limit > 0 and (content_type or "").split(";")[0].strip().lower() in (
            "text/html",
            "application/xhtml+xml",
            "text/plain",
        )
        payload = hashlib.sha256()
        block = hashlib.sha256(wire.response_head or b"")
        size = 0
        truncated: Literal["length", "time", "disconnect"] | None = None
        failure: Classified | None = None
        sample = bytearray()
        try:
            with contextlib.closing(spool) as fh:
                try:
                    for chunk in response.iter_stream():
                        room = max_body - size
                        if len(chunk) > room:
                            chunk = chunk[:room]
                            truncated = "length"
                        fh.write(chunk)
                        payload.update(chunk)
                        block.update(chunk)
                        size += len(chunk)
                        if keep_text and len(sample) < text_limit:
                            sample += chunk[: text_limit - len(sample) + 1]
                        if truncated:
                            break
                except HTTPCORE_ERRORS as exc:
                    failure = classify(exc, self.settings)
                    truncated = "time" if failure.outcome == "timeout" else "disconnect"
                    failure = Classified(
                        failure.outcome,
                        f"{failure.message} (after {size} bytes of the body; the part received "
                        "is kept)",
                        failure.transient,
                        failure.error_type,
                    )
        finally:
            response.close()
        declared = header(b"content-length")
        wire.body = spool
        wire.payload_digest = "sha256:" + payload.hexdigest()
        wire.block_digest = "sha256:" + block.hexdigest()
        wire.text_sample = sample
        return (
            Body(
                size=size,
                sha256=wire.payload_digest,
                truncated=truncated,
                declared_length=int(declared) if declared and declared.isdigit() else None,
                content_type=content_type,
                content_encoding=header(b"content-encoding"),
                transfer_encoding_removed=latin1(transfer_encoding) if transfer_encoding else None,
            ),
            failure,
        )

    def fetch_small(self, url: str, folder: FolderSource) -> tuple[bytes | None, str | None]:
        """A small body (e.g. the egress lookup's answer), or the reason it failed."""
        result = self.fetch(url, folder, max_body=1024, retries=0, label="lookup-")
        hop = result.final_hop
        if result.last.outcome not in KEPT or hop is None or hop.body is None:
            return None, result.last.message
        with hop.body.open() as fh:
            return fh.read(), None
