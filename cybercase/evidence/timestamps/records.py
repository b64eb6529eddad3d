"""What a case records about its trusted timestamps: the roles of token files, the
``timestamp.granted`` detail, and which items are covered or still pending.

Read by granting, by verification and by the export alike; it asks no authority.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import Field, ValidationError

from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.log.state import TIMESTAMP_GRANTED, CaseState, ItemView
from cybercase.evidence.models import Artifact, DigestText, Record
from cybercase.evidence.timestamps.tsa_client import TsaAttempt

TIMESTAMP_FAILED = "timestamp.failed"


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


TokenKind = Literal["item", "seal"]


class Covered(Record):
    """What a token's imprint is the SHA-256 of."""

    digest: DigestText
    """``sha256:<hex>``: the imprint the token carries."""
    item: str | None = None
    """Item tokens: the item whose artifact is covered."""
    role: str | None = None
    """Item tokens: the covered artifact's role (``record`` or ``original``)."""
    name: str | None = None
    """Item tokens: the covered artifact's name."""
    seq: int | None = None
    """Seals: the custody entry whose hash is covered (the log's head when sealed)."""


class TimestampDetail(Record):
    """The ``detail`` of a ``timestamp.granted`` entry."""

    kind: TokenKind
    """``item`` (one item's record or file) or ``seal`` (the log up to an entry)."""
    covers: Covered
    """The digest the token covers and where it comes from."""
    tsa: str
    """The configured name of the authority that granted the token."""
    url: str
    """Where the authority was asked."""
    gen_time: str
    """The authority's time in the token (genTime), UTC."""
    serial: str
    """The token's serial number (decimal: it may exceed what JSON numbers hold)."""
    policy: str
    """The TSA policy OID the token was issued under."""
    nonce: str
    """The random nonce sent with the request and echoed in the token (decimal)."""
    tsa_certificate: str
    """Subject of the TSA certificate that signed the token."""
    root: str
    """Subject of the root the token chained to when it was granted."""
    root_fingerprint: DigestText
    """SHA-256 of that root certificate."""
    repaired: bool = False
    """True when the response had a non-DER certificate SET (kept as ``tsa-response``)."""
    artifacts: list[Artifact] = Field(min_length=1)
    """The ``token``, the ``tsa-chain`` and ``tsa-root`` PEM files (and ``tsa-response``)."""


@dataclass(frozen=True, slots=True)
class Granted:
    """A ``timestamp.granted`` entry, as summarised for people and scripts."""

    seq: int
    kind: TokenKind
    items: tuple[str, ...]
    covers: str
    tsa: str
    gen_time: str
    serial: str

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "items": list(self.items),
            "covers": self.covers,
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
            yield entry, TimestampDetail.model_validate(entry.detail)
        except ValidationError:
            continue


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
