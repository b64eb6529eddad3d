"""What a fetch gives back: each hop with the bytes its WARC records need, each attempt.

The WARC writer, the capture record and the browser's proxy all read these, so they
live apart from the :class:`~cybercase.collect.http.fetch.Fetcher` that makes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from cybercase.collect.http.spool import Spool
from cybercase.collect.record import Attempt, DnsLookup, Hop, Outcome, Redaction


def new_record_id() -> str:
    """A WARC-Record-ID."""
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass(slots=True)
class WireHop:
    """One hop as fetched: its record, plus the bytes the WARC needs."""

    hop: Hop
    request_bytes: bytes | None = None
    """The request as sent (secret values already replaced unless kept)."""
    response_head: bytes | None = None
    """The response head as received (a removed Transfer-Encoding line left out)."""
    body: Spool | None = None
    """The response body as received (content-encoding kept, chunking removed)."""
    payload_digest: str | None = None
    block_digest: str | None = None
    unparsed: bytes | None = None
    """What the server sent when it was not a valid HTTP response head."""
    text_sample: bytes | bytearray = b""
    """The first bytes of a text body, for reading the page (released once read)."""
    set_cookie: bool = False


@dataclass(slots=True)
class AttemptResult:
    """One try at a URL."""

    number: int
    started: str
    ended: str = ""
    outcome: Outcome = "captured"
    message: str = ""
    transient: bool = False
    retry_after: float | None = None
    hops: list[WireHop] = field(default_factory=list)
    dns: list[DnsLookup] = field(default_factory=list)
    redactions: list[Redaction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def model(self) -> Attempt:
        """The attempt as recorded."""
        return Attempt(
            number=self.number,
            started=self.started,
            ended=self.ended,
            outcome=self.outcome,
            message=self.message,
            hops=[h.hop for h in self.hops],
        )


@dataclass(slots=True)
class FetchResult:
    """Every attempt at one URL; the last decides."""

    url: str
    attempts: list[AttemptResult]

    @property
    def last(self) -> AttemptResult:
        """The deciding attempt."""
        return self.attempts[-1]

    @property
    def final_hop(self) -> WireHop | None:
        """The last hop of the deciding attempt."""
        hops = self.last.hops
        return hops[-1] if hops else None
