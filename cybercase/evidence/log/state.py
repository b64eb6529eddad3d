"""What a case is now, derived by folding its custody entries in order.

Nothing here is stored: the log is the truth and this is recomputed from it (in full
when a case is opened, then entry by entry as new lines appear). It knows the last
entry (for chaining), the registered keys, the numbering of items and requests, and a
small view of every item. It does not check hashes or signatures: that is
:mod:`cybercase.evidence.verify.case`'s job.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cybercase.errors import CaseCorruptError
from cybercase.evidence.actions import CASE_CREATED, CUSTODIAN_ADDED, CaseCreated
from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.models import Artifact

ID_PATTERN = re.compile(r"^([A-Z])(\d{4,})$")
EVIDENCE_PREFIX = "E"
REQUEST_PREFIX = "R"

ITEM_ACQUIRED = "item.acquired"
"""Written by ``collect`` (which declares its detail); folded here like any item's creation."""


def format_id(prefix: str, number: int) -> str:
    """``E0001``, ``R0012``, ``E10000``."""
    return f"{prefix}{number:04d}"


def id_number(item_id: str) -> int:
    """The number in ``E0012`` (12), for sorting ids numerically."""
    match = ID_PATTERN.match(item_id)
    return int(match.group(2)) if match else 0


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A custodian key registered in the case's log."""

    fingerprint: str
    name: str
    email: str | None
    public_raw: bytes
    registered_seq: int


def custodian_from_detail(detail: dict[str, Any]) -> tuple[str, str | None, bytes] | None:
    """``(name, email, raw public key)`` from an entry's ``custodian`` detail, if well-formed.

    Read field by field on purpose (not through :class:`~cybercase.evidence.actions.
    CustodianKey`): verification must weigh a registration exactly as far as it reads,
    and report the rest as malformed, never crash or skip it.
    """
    value = detail.get("custodian")
    if not isinstance(value, dict):
        return None
    try:
        raw = base64.b64decode(value["public_key"], validate=True)
        name = value["name"]
        email = value.get("email")
    except (KeyError, TypeError, ValueError):
        return None
    if len(raw) != 32 or not isinstance(name, str):
        return None
    return name, email if isinstance(email, str) else None, raw


def creation_detail(entry: CustodyEntry) -> CaseCreated | None:
    """A ``case.created`` entry's detail, or ``None`` when it does not read.

    Tolerant on purpose: opening or verifying a damaged case goes on (verification
    reports ``case.json`` as unrecorded instead).
    """
    try:
        return entry.detail_as(CaseCreated)
    except CaseCorruptError:
        return None


def artifacts_of(entry: CustodyEntry) -> list[Artifact]:
    """The artifacts an entry names (``detail.artifacts``); malformed ones are skipped."""
    value = entry.detail.get("artifacts")
    if not isinstance(value, list):
        return []
    found: list[Artifact] = []
    for item in value:
        try:
            found.append(Artifact.model_validate(item))
        except ValidationError:
            continue
    return found


@dataclass(slots=True)
class ItemView:
    """An item (``E0001``) or request (``R0001``) as its entries describe it."""

    id: str
    created_seq: int
    created_action: str
    created_at: str
    actor_name: str
    actor_key: str
    detail: dict[str, Any]
    artifacts: list[Artifact] = field(default_factory=list)
    entry_seqs: list[int] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``evidence`` or ``request``, from the id's prefix."""
        return "request" if self.id.startswith(REQUEST_PREFIX) else "evidence"


@dataclass(slots=True)
class CaseState:
    """The folded state of a case's log."""

    last_seq: int = 0
    last_hash: str | None = None
    last_at: str | None = None
    end: int = 0
    line_count: int = 0
    damaged_lines: list[int] = field(default_factory=list)
    torn_bytes: int = 0
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    items: dict[str, ItemView] = field(default_factory=dict)
    action_counts: dict[str, int] = field(default_factory=dict)
    case_json_digest: str | None = None

    def next_id(self, prefix: str) -> str:
        """The next unused id with this prefix."""
        number = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = number
        return format_id(prefix, number)

    def apply(self, entry: CustodyEntry) -> None:
        """Fold one entry into the state."""
        self.last_seq = entry.seq
        self.last_hash = entry.hash
        self.last_at = entry.at
        self.action_counts[entry.action] = self.action_counts.get(entry.action, 0) + 1
        if entry.action in (CASE_CREATED, CUSTODIAN_ADDED):
            custodian = custodian_from_detail(entry.detail)
            if custodian is not None:
                name, email, raw = custodian
                from cybercase.evidence.keys.identity import fingerprint_of

                fp = fingerprint_of(raw)
                self.keys.setdefault(fp, KeyRecord(fp, name, email, raw, entry.seq))
        if entry.action == CASE_CREATED:
            created = creation_detail(entry)
            if created is not None:
                self.case_json_digest = created.case_json
        artifacts = artifacts_of(entry)
        for item_id in entry.items:
            match = ID_PATTERN.match(item_id)
            if not match:
                continue
            prefix, number = match.group(1), int(match.group(2))
            if number > self.counters.get(prefix, 0):
                self.counters[prefix] = number
            view = self.items.get(item_id)
            if view is None:
                view = ItemView(
                    id=item_id,
                    created_seq=entry.seq,
                    created_action=entry.action,
                    created_at=entry.at,
                    actor_name=entry.actor_name,
                    actor_key=entry.actor_key,
                    detail=entry.detail,
                )
                self.items[item_id] = view
            view.entry_seqs.append(entry.seq)
            view.actions.append(entry.action)
            if len(entry.items) == 1:
                view.artifacts.extend(artifacts)

    def evidence_ids(self) -> list[str]:
        """Evidence item ids in order."""
        return sorted((i for i in self.items if i.startswith(EVIDENCE_PREFIX)), key=id_number)

    def request_ids(self) -> list[str]:
        """Request ids in order."""
        return sorted((i for i in self.items if i.startswith(REQUEST_PREFIX)), key=id_number)
