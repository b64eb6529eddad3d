"""What a case records about its trusted timestamps: the roles of token files, the
``timestamp.granted`` detail, and which items are covered or still pending.

Read by granting, by verification and by the export alike; it asks no authority.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from cybercase.errors import CaseCorruptError
from cybercase.evidence.actions import TIMESTAMP_GRANTED, TimestampDetail, TokenKind
from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.log.state import CaseState, ItemView
from cybercase.evidence.models import Artifact
from cybercase.evidence.timestamps.tsa_client import TsaAttempt

ITEM: Final = "item"
SEAL: Final = "seal"
COVERED_ROLES = ("record", "original")
"""The artifact an item token covers: the first of these roles the item has."""
TOKEN_ROLE = "token"
CHAIN_ROLE = "tsa-chain"
ROOT_ROLE = "tsa-root"
RECEIVED_ROLE = "tsa-response"
REPLY_MEDIA = "application/timestamp-reply"
PEM_MEDIA = "application/pem-certificate-chain"


@dataclass(frozen=True, slots=True)
class TokenSummary:
    """What every listing of a token says: which entry, what kind, for which items, from
    which authority, at what TSA time, over which digest.

    :class:`Granted` (what ``timestamp`` did), ``TokenExport`` (a token's files, for an
    export) and the report's ``PackagedToken`` add their own fields to these six.
    """

    seq: int
    """The ``timestamp.granted`` entry."""
    kind: TokenKind
    items: tuple[str, ...]
    tsa: str
    """The configured name of the authority that granted the token."""
    gen_time: str
    """The authority's time in the token (UTC)."""
    covered_digest: str
    """``sha256:<hex>`` the token covers: a file's hash, or a custody entry's hash (seal)."""


@dataclass(frozen=True, slots=True)
class Granted(TokenSummary):
    """A ``timestamp.granted`` entry, as summarised for people and scripts."""

    serial: str

    @property
    def covers(self) -> str:
        """The covered digest, under the name ``--json`` gives it."""
        return self.covered_digest

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "items": list(self.items),
            "covers": self.covered_digest,
            "tsa": self.tsa,
            "gen_time": self.gen_time,
            "serial": self.serial,
        }


@dataclass(slots=True)
class TimestampOutcome:
    """What a timestamping operation did, and what is still pending."""

    granted: list[Granted] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    """Evidence items still awaiting a trusted timestamp (of those concerned)."""
    attempts: list[TsaAttempt] = field(default_factory=list)
    """Authorities that failed (the first ones may fail and a later one grant)."""
    round_trips: int = 0
    failure_seq: int | None = None
    """The ``timestamp.failed`` entry recording that no authority answered, if any."""
    note: str | None = None
    """Why nothing was asked, when nothing was (no TSA configured, nothing to seal)."""

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "granted": [g.to_json() for g in self.granted],
            "pending": self.pending,
            "failed_attempts": [a.to_json() for a in self.attempts],
            "round_trips": self.round_trips,
            "failure_seq": self.failure_seq,
            "note": self.note,
        }


def creation_artifacts(view: ItemView) -> list[Artifact]:
    found: list[Artifact] = []
    value = view.detail.get("artifacts")
    if isinstance(value, list):
        for item in value:
            try:
                found.append(Artifact.model_validate(item))
            except ValidationError:
                continue
    return found


def covered_artifact(view: ItemView) -> Artifact | None:
    """The artifact an item token covers: its ``record``, else its ``original``."""
    artifacts = creation_artifacts(view)
    for role in COVERED_ROLES:
        for artifact in artifacts:
            if artifact.role == role:
                return artifact
    return None


def granted_details(
    entries: Iterable[CustodyEntry],
) -> Iterable[tuple[CustodyEntry, TimestampDetail]]:
    """Each ``timestamp.granted`` entry with its detail; one this version cannot read is
    skipped here (verification reports it)."""
    for entry in entries:
        if entry.action != TIMESTAMP_GRANTED:
            continue
        try:
            yield entry, entry.detail_as(TimestampDetail)
        except CaseCorruptError:
            continue


def is_seal(entry: CustodyEntry) -> bool:
    """Whether an entry is a ``timestamp.granted`` seal of the log (and reads as one)."""
    if entry.action != TIMESTAMP_GRANTED:
        return False
    try:
        return entry.detail_as(TimestampDetail).kind == SEAL
    except CaseCorruptError:
        return False


def pending_from(state: CaseState, entries: Iterable[CustodyEntry]) -> list[str]:
    tokened: set[str] = set()
    sealed_to = 0
    for _entry, detail in granted_details(entries):
        if detail.kind == ITEM and detail.covers.item:
            tokened.add(detail.covers.item)
        elif detail.kind == SEAL and detail.covers.seq is not None:
            sealed_to = max(sealed_to, detail.covers.seq)
    return [
        item_id
        for item_id in state.evidence_ids()
        if item_id not in tokened and state.items[item_id].created_seq > sealed_to
    ]


def timestamp_counts(state: CaseState, entries: Sequence[CustodyEntry]) -> dict[str, int]:
    """Item tokens, seals and pending items (for ``status``)."""
    kinds = [d.kind for _e, d in granted_details(entries)]
    return {
        "item tokens": kinds.count(ITEM),
        "seals": kinds.count(SEAL),
        "awaiting timestamp": len(pending_from(state, entries)),
    }
