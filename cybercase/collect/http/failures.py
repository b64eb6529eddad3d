"""A failed exchange named in the investigator's words, and whether a retry may help.

A failure is evidence too: its outcome and message go into the record. The raw fetch
and the browser's proxy name failures with the same words.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpcore

from cybercase.collect.config import CaptureSettings
from cybercase.collect.http.wire import (
    ConnectFailure,
    ConnectTimedOut,
    DeadlineExceeded,
    DnsFailure,
)
from cybercase.collect.record import Body, Outcome

HTTPCORE_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
)


@dataclass(frozen=True, slots=True)
class Classified:
    """A failure, named."""

    outcome: Outcome
    message: str
    transient: bool
    error_type: str = ""


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def tls_verification_error(exc: BaseException) -> str | None:
    """The certificate verification message, when that is why a connection failed."""
    for item in _chain(exc):
        if isinstance(item, ssl.SSLCertVerificationError):
            return str(item.verify_message or item.reason or item)
    return None


KEPT = ("captured", "truncated")
"""Outcomes whose body was received and kept (``truncated``: only its first part)."""


def cut_message(status: int, body: Body, max_body: int) -> str:
    """What a capture cut at the body size limit says, in the record and on the console."""
    declared = (
        f" of the {body.declared_length:,} the server declared"
        if body.declared_length is not None
        else ""
    )
    return (
        f"incomplete: HTTP {status}, the body was cut at the size limit, {body.size:,} bytes "
        f"kept{declared}; only a capture with a larger limit (--max-size for pages, now "
        f"{max_body:,} bytes) keeps all of it"
    )


def classify(exc: BaseException, settings: CaptureSettings) -> Classified:
    """Name a failure in the investigator's words, and say whether a retry may help."""
    named = _classify(exc, settings)
    return Classified(named.outcome, named.message, named.transient, type(exc).__name__)


def _classify(exc: BaseException, settings: CaptureSettings) -> Classified:
    if isinstance(exc, DnsFailure):
        return Classified("dns-failure", str(exc), exc.transient)
    if isinstance(exc, ConnectFailure):
        if exc.refused:
            return Classified("connection-refused", f"connection refused: {exc}", True)
        return Classified("connection-failed", f"connection failed: {exc}", True)
    if isinstance(exc, DeadlineExceeded):
        return Classified(
            "timeout",
            f"timed out: the attempt took longer than the total limit "
            f"({settings.total_timeout:g} s)",
            False,
        )
    if isinstance(exc, ConnectTimedOut | httpcore.ConnectTimeout):
        return Classified(
            "timeout", f"timed out connecting ({settings.connect_timeout:g} s): {exc}", True
        )
    if isinstance(exc, httpcore.ReadTimeout | httpcore.WriteTimeout | httpcore.PoolTimeout):
        return Classified(
            "timeout",
            f"timed out: nothing received for {settings.read_timeout:g} s",
            True,
        )
    verify = tls_verification_error(exc)
    if verify is not None:
        return Classified("tls-failure", f"TLS certificate verification failed: {verify}", False)
    if any(isinstance(item, ssl.SSLError) for item in _chain(exc)):
        return Classified("tls-failure", f"TLS handshake failed: {exc}", False)
    if isinstance(exc, httpcore.ProxyError):
        return Classified("proxy-error", f"the proxy refused or failed: {exc}", True)
    if isinstance(exc, httpcore.ConnectError):
        return Classified("connection-failed", f"connection failed: {exc}", True)
    if isinstance(exc, httpcore.ReadError | httpcore.WriteError):
        return Classified("connection-failed", f"the connection broke: {exc}", True)
    return Classified("protocol-error", f"the server's answer is not valid HTTP: {exc}", False)
