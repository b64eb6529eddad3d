"""Reading requests back: one request in full, the list, and the deadlines due soon.

Everything is derived from the custody log at the time of asking (see
:mod:`.lifecycle`); ``request.json`` is read from the object store only to show what a
request asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cybercase.clock import Clock, format_utc
from cybercase.errors import CybercaseError, InvalidInputError, NotFoundError, StorageError
from cybercase.evidence import Artifact, Case, CustodyEntry, Signer
from cybercase.evidence.log.state import REQUEST_PREFIX, id_number
from cybercase.request.lifecycle import (
    Deadline,
    RequestStatus,
    derive,
    derive_all,
    next_deadline,
)
from cybercase.request.models import RequestRecord

DEFAULT_DUE_DAYS = 14


def normalise_id(request_id: str) -> str:
    """``r1`` is not accepted, ``r0001`` is: ids are matched case-insensitively only."""
    return request_id.strip().upper()


def load_status(case: Case, request_id: str) -> RequestStatus:
    """A request's current state; an unknown id (or an item id) is a one-line error."""
    rid = normalise_id(request_id)
    view = case.state.items.get(rid)
    if view is None:
        raise NotFoundError(
            f"no request {request_id} in case {case.meta.id}",
            hint="list the requests with 'cybercase request list'",
        )
    if not rid.startswith(REQUEST_PREFIX):
        raise NotFoundError(f"{rid} is an evidence item, not a request")
    status = derive(rid, case.item_entries(rid))
    if status is None:
        raise NotFoundError(f"{rid} was not created by a request.created entry")
    return status


def load_record(case: Case, status: RequestStatus) -> RequestRecord:
    """The request's ``request.json``, read from the store and validated."""
    if status.record_digest is None:
        raise StorageError(f"the custody log names no request.json for {status.id}")
    try:
        return RequestRecord.model_validate_json(case.read_object(status.record_digest))
    except ValidationError as exc:
        raise StorageError(
            f"request.json of {status.id} cannot be read as a request record",
            hint="run 'cybercase verify'",
        ) from exc


@dataclass(slots=True)
class RequestDetails:
    """Everything ``request show`` prints."""

    status: RequestStatus
    record: RequestRecord | None
    record_problem: str | None
    artifacts: list[Artifact]
    entries: list[CustodyEntry]
    deadline: Deadline | None

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "status": self.status.to_json(),
            "next_deadline": _deadline_json(self.deadline),
            "record": self.record.model_dump(mode="json") if self.record else None,
            "record_problem": self.record_problem,
            "artifacts": [a.model_dump() for a in self.artifacts],
            "entries": [e.to_json() for e in self.entries],
        }


def _deadline_json(deadline: Deadline | None) -> dict[str, str] | None:
    if deadline is None:
        return None
    return {"kind": deadline.kind, "at": format_utc(deadline.at)}


def request_details(case: Case, request_id: str, clock: Clock | None = None) -> RequestDetails:
    """One request: its state, its record, its files and every entry naming it."""
    status = load_status(case, request_id)
    record: RequestRecord | None = None
    problem: str | None = None
    try:
        record = load_record(case, status)
    except CybercaseError as exc:
        problem = exc.message
    now = (clock or case.clock).now()
    return RequestDetails(
        status=status,
        record=record,
        record_problem=problem,
        artifacts=list(case.item(status.id).artifacts),
        entries=case.item_entries(status.id),
        deadline=next_deadline(status, now),
    )


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """One line of ``request list``."""

    status: RequestStatus
    deadline: Deadline | None
    """The next preservation deadline, if any."""
    days_left: float | None = None
    """Days from now to that deadline (negative when it has passed)."""
    due: bool = False
    """Whether it falls within the window asked for."""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """For ``--json`` (and ``status --json``)."""
        return {
            "id": self.status.id,
            "type": self.status.type,
            "platform": self.status.platform,
            "state": self.status.phase,
            "sent": format_utc(self.status.sent_at) if self.status.sent_at else None,
            "reference": self.status.reference,
            "expires": format_utc(self.status.expires_at) if self.status.expires_at else None,
            "deadline": _deadline_json(self.deadline),
            "days_left": round(self.days_left, 2) if self.days_left is not None else None,
            "due": self.due,
            "outcome": self.status.outcome,
            "targets": list(self.status.targets),
        }


def _summaries(
    statuses: dict[str, RequestStatus], now: datetime, within: timedelta | None
) -> list[RequestSummary]:
    rows: list[RequestSummary] = []
    for rid in sorted(statuses, key=id_number):
        status = statuses[rid]
        deadline = next_deadline(status, now)
        left = (deadline.at - now).total_seconds() / 86400 if deadline else None
        # Same rule as lifecycle.is_due, without deriving the deadline twice.
        due = within is not None and deadline is not None and deadline.at <= now + within
        rows.append(RequestSummary(status, deadline, left, due))
    return rows


def list_requests(
    case: Case,
    *,
    due_within_days: float | None = None,
    clock: Clock | None = None,
    include_closed: bool = True,
) -> list[RequestSummary]:
    """Every request of the case, or only those with a deadline within ``due_within_days``.

    A deadline exactly ``due_within_days`` from now is included; one that has already
    passed on an open preservation (it expired unnoticed) is included too.
    """
    if due_within_days is not None and due_within_days < 0:
        raise InvalidInputError("--due takes a number of days, 0 or more")
    if not case.state.request_ids():
        return []  # no request: spare ``status`` a second reading of the log
    now = (clock or case.clock).now()
    within = timedelta(days=due_within_days) if due_within_days is not None else None
    rows = _summaries(derive_all(case.entries()), now, within)
    if within is not None:
        rows = [r for r in rows if r.due]
    if not include_closed:
        rows = [r for r in rows if r.status.phase != "closed"]
    return rows


def due_requests(
    case: Case, within_days: float = DEFAULT_DUE_DAYS, clock: Clock | None = None
) -> list[RequestSummary]:
    """Open preservation requests whose next deadline falls within ``within_days``."""
    return list_requests(case, due_within_days=within_days, clock=clock)


def save_request_files(case: Case, signer: Signer, request_id: str, folder: Path) -> list[Path]:
    """Copy a request's files (record, letters, receipts) into ``folder`` to send or print.

    Existing files are never overwritten; the copies are not evidence (the store is), but
    handing them out is logged as one signed ``artifact.copied`` entry.
    """
    status = load_status(case, request_id)
    artifacts = case.item(status.id).artifacts
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {folder}: {exc.strerror}") from exc
    targets = [folder / f"{status.id}_{a.name}" for a in artifacts]
    clash = next((t for t in targets if t.exists()), None)
    if clash is not None:
        raise InvalidInputError(f"{clash} already exists", hint="choose another folder with --save")
    case.hand_out(signer, status.id, list(zip(artifacts, targets, strict=True)))
    return targets
