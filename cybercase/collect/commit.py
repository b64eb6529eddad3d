"""A prepared capture becomes evidence here: one ``item.acquired`` entry, one durable write.

Preparing (fetching, storing unsynced) and committing are apart so that a batch can
commit several captures in one transaction (group commit), and nothing counts until
the entry that names the objects is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cybercase.collect.actions import CAPTURE_KIND, ITEM_ACQUIRED, AcquiredDetail
from cybercase.collect.record import BatchRef, CaptureRecord
from cybercase.evidence import Artifact, Case, EntryDraft, Signer
from cybercase.evidence.log.state import EVIDENCE_PREFIX

Analyse = Callable[[CaptureRecord, Sequence[Artifact], "str | None"], object]
"""A follow-up computed where a capture is prepared, while its page is still in memory.

It is given the record, the artifacts and the visible text (``None`` when the page has
none) and what it returns travels with the capture to its commit
(:attr:`CaptureResult.analysis`), from a worker process too. A watch run reads a
capture's facts this way instead of reading the stored record back. It is advice, not
evidence: an error in it leaves ``analysis`` at ``None`` and the capture as it is.
"""


@dataclass(frozen=True, slots=True)
class CaptureRequest:
    """One URL to capture, and what the investigator said about it."""

    url: str
    batch: BatchRef | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    typed: str | None = None
    """The URL as the investigator gave it (``url`` is its normalised form)."""


LISTED_TITLE_CHARS = 300


def listed_title(record: CaptureRecord) -> str | None:
    """The page's title as the ``item.acquired`` entry lists it (cut to 300 characters)."""
    return record.page.title[:LISTED_TITLE_CHARS] if record.page and record.page.title else None


@dataclass(slots=True)
class PreparedCapture:
    """A capture whose artifacts are stored but not yet committed."""

    request: CaptureRequest
    record: CaptureRecord
    artifacts: list[Artifact]
    analysis: object = None
    """What the batch's :data:`Analyse` made of it, if the batch has one."""

    @property
    def ok(self) -> bool:
        """Whether the page was captured (not a failure or an HTTP error)."""
        return self.record.outcome == "captured"

    def acquired(self) -> AcquiredDetail:
        """The ``item.acquired`` entry's detail."""
        record = self.record
        return AcquiredDetail(
            kind=CAPTURE_KIND,
            capture_id=record.capture_id,
            url=record.requested_url,
            url_as_typed=record.requested_as_typed or None,
            final_url=record.final_url,
            outcome=record.outcome,
            status=record.status,
            message=record.message,
            started=record.started,
            ended=record.ended,
            url_credentials=(
                record.url_credentials.status if record.url_credentials is not None else None
            ),
            withheld_headers=list(record.withheld_headers) or None,
            title=listed_title(record),
            batch=record.batch or None,
            tags=list(record.tags) or None,
            note=record.note or None,
            persona=record.environment.persona or None,
            warnings=len(record.warnings) or None,
            artifacts=list(self.artifacts),
        )

    def detail(self) -> dict[str, Any]:
        """The ``item.acquired`` entry's detail as written (see :meth:`acquired`)."""
        return self.acquired().to_detail()


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """A committed capture, as the CLI reports it."""

    item_id: str
    seq: int
    url: str
    final_url: str | None
    outcome: str
    status: int | None
    message: str
    title: str | None
    ok: bool
    index: int | None
    artifacts: tuple[Artifact, ...]
    warnings: tuple[str, ...] = ()
    analysis: object = None
    """What the batch's :data:`Analyse` made of the capture (not part of the evidence)."""

    def to_json(self) -> dict[str, Any]:
        """One ``--json`` line."""
        return {
            "item": self.item_id,
            "seq": self.seq,
            "url": self.url,
            "final_url": self.final_url,
            "outcome": self.outcome,
            "ok": self.ok,
            "status": self.status,
            "message": self.message,
            "title": self.title,
            "index": self.index,
            "artifacts": [a.model_dump() for a in self.artifacts],
            "warnings": list(self.warnings),
        }


def commit_captures(
    case: Case, signer: Signer, prepared: Sequence[PreparedCapture]
) -> list[CaptureResult]:
    """Commit prepared captures: one ``item.acquired`` entry each, in one durable write."""
    if not prepared:
        return []
    ids: list[str] = []
    with case.transaction(signer) as tx:
        for item in prepared:
            item_id = tx.new_id(EVIDENCE_PREFIX)
            ids.append(item_id)
            tx.add(EntryDraft.of(ITEM_ACQUIRED, item.acquired(), (item_id,)))
    results: list[CaptureResult] = []
    for item_id, item, entry in zip(ids, prepared, tx.committed, strict=True):
        record = item.record
        results.append(
            CaptureResult(
                item_id=item_id,
                seq=entry.seq,
                url=record.requested_url,
                final_url=record.final_url,
                outcome=record.outcome,
                status=record.status,
                message=record.message,
                title=record.page.title if record.page else None,
                ok=item.ok,
                index=record.batch.index if record.batch else None,
                artifacts=tuple(item.artifacts),
                warnings=tuple(record.warnings),
                analysis=item.analysis,
            )
        )
    return results
