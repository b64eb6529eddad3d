"""The seam where other parts add files to a capture: browser rendering, for instance.

A :class:`Stage` is started when the capture of a URL begins (so a browser can render
while the raw fetch runs) and returns a future. Before the item is committed the capture
waits for every stage's :class:`StageOutput`, stores its files in the object store, adds
them to the item's artifacts and describes them in the capture record: one item, one
``item.acquired`` entry, whatever the number of stages. A stage that fails is recorded as
a warning; the raw capture never depends on it.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cybercase.collect.http.hops import WireHop
    from cybercase.collect.record import DnsLookup, Outcome, Redaction
    from cybercase.collect.redact import Credentials


@dataclass(frozen=True, slots=True)
class StageFile:
    """A file a stage produced for the item."""

    role: str
    """``screenshot``, ``pdf``, ``dom``, ``mhtml``... (other layers rely on it)."""
    name: str
    """Its name in the item (and the export)."""
    path: Path
    """Where the stage wrote it (the capture moves it into the object store)."""
    media_type: str = "application/octet-stream"
    """IANA media type."""


@dataclass(slots=True)
class StageOutput:
    """What a stage gives back."""

    files: list[StageFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    """JSON-ready facts kept in the capture record (e.g. the browser's request list)."""
    exchanges: list[WireHop] = field(default_factory=list)
    """HTTP exchanges the stage recorded, written into the item's WARC after the raw fetch's
    (e.g. everything the browser loaded); their bodies stay readable until then."""
    redactions: list[Redaction] = field(default_factory=list)
    """Secret values replaced in those exchanges' request records."""
    dns: list[DnsLookup] = field(default_factory=list)
    """The DNS answers those exchanges used."""
    failed: tuple[Outcome, str] | None = None
    """The stage shows the page could not be had although the raw fetch worked (e.g. the
    browser failed on TLS): the capture's outcome becomes this, and the command exits 1."""


class Stage(Protocol):
    """Something that adds artifacts to the capture of one URL."""

    name: str
    """A short name (``browser``)."""

    def start(
        self, url: str, workdir: Path, *, credentials: Credentials | None = None
    ) -> Future[StageOutput]:
        """Begin work on ``url``; files go under ``workdir`` (a folder of its own).

        ``credentials`` (split off a ``user:password@`` URL; ``url`` never carries them)
        are given only when there are some, so a stage that takes none need not accept them.
        """
        ...
