"""What a context's traffic recording is asked for, and what one page visit gives back.

Options, results and pages name these without loading the recording proxy itself
(h11, httpcore), which lives in :mod:`~cybercase.collect.browser.traffic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cybercase.collect.config import CaptureSettings
from cybercase.collect.http.hops import WireHop
from cybercase.collect.record import DnsLookup, Redaction


@dataclass(frozen=True, slots=True)
class TrafficSettings:
    """How the proxy reaches sites: the same identity, trust and limits as the raw fetch."""

    proxy: str | None = None
    """The investigator's own upstream proxy (``http://``, ``socks5://``, ``socks5h://``)."""
    ca_bundle: Path | None = None
    """Extra trusted roots (PEM), added to certifi's, as for the raw fetch."""
    insecure: bool = False
    """Record a site whose certificate does not verify anyway (the failure is recorded)."""
    keep_secrets: bool = False
    """Keep Cookie/Authorization values the browser sent (else replaced by their hash)."""
    secret_headers: tuple[str, ...] = ()
    """Lower-case names of every header whose value is withheld (Cookie, Authorization,
    Proxy-Authorization and the user's extra headers not marked safe); empty: the first three."""
    withhold_set_cookie: bool = False
    """Replace the values of ``Set-Cookie`` in responses by their keyed hash: a login's
    session cookie is as good as a password (``cybercase browse``)."""
    withhold_request_bodies: bool = False
    """Replace the body of every request that has one (form posts carry typed passwords)
    by its keyed hash; the head, with its Content-Length, is kept."""
    max_body_bytes: int = 256 * 1024 * 1024
    """Bytes of one response body recorded; the browser still gets all of it."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    """Longest one exchange may take."""

    def key(self) -> str:
        """What distinguishes two settings (contexts are only shared between equal ones)."""
        return repr(self)

    def limits(self) -> CaptureSettings:
        """The raw fetch's settings with these limits (for naming failures alike)."""
        return CaptureSettings(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
        )


@dataclass(slots=True)
class TrafficLog:
    """What one page visit sent and received, ready for the WARC and the record."""

    exchanges: list[WireHop] = field(default_factory=list)
    """One per request, in the order the browser made them."""
    redactions: list[Redaction] = field(default_factory=list)
    dns: list[DnsLookup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
