"""A request to a platform: what it asked, its status and deadlines, what came back.

The state is derived from the request's custody entries exactly as ``cybercase request
show`` derives it (:func:`cybercase.request.lifecycle.derive`), and deadlines are told
as of the export. What the request asked for is read from its ``request.json``
(:class:`~cybercase.request.models.RequestRecord`); a record that does not validate is
shown as such, never guessed around.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from cybercase.clock import format_utc, parse_utc
from cybercase.report.layout import PlannedFile, item_title
from cybercase.report.sections.generic import base_data
from cybercase.report.sections.interface import ItemContext, Section
from cybercase.request.lifecycle import RESPONSE_RECEIVED, RequestStatus, derive, next_deadline
from cybercase.request.models import RequestRecord

RECORD_ROLE = "request"
LETTER_ROLES = ("letter", "letter-pdf")
EXTENSION_LETTER_PREFIX = "extension-letter"
RECEIPT_ROLE = "receipt"
MAX_RECORD_BYTES = 8 * 1024 * 1024
DEADLINE_LABELS = {
    "extension": "ask for an extension by",
    "expiry": "preservation ends",
    "expired": "preservation ended",
}


def _t(value: datetime | None) -> str | None:
    return format_utc(value) if value is not None else None


def _record(item: ItemContext) -> tuple[RequestRecord | None, str | None]:
    planned = item.first(RECORD_ROLE)
    if planned is None:
        return None, "the log names no request.json for this request"
    if planned.size > MAX_RECORD_BYTES:
        return None, "request.json is too large to be a request record"
    try:
        return RequestRecord.model_validate_json(item.read_file(planned)), None
    except (OSError, ValidationError):
        return None, "request.json cannot be read as a request record"


def _state(status: RequestStatus) -> str:
    if status.phase == "draft":
        return "prepared, not sent yet"
    if status.phase == "closed":
        when = f" on {_t(status.closed_at)}" if status.closed_at else ""
        return f"closed{when}, outcome: {status.outcome or 'not recorded'}"
    sent = f" on {_t(status.sent_at)}" if status.sent_at else ""
    via = f" via {status.via}" if status.via else ""
    return f"sent{sent}{via}, open"


def _deadline(status: RequestStatus, exported_at: str) -> dict[str, Any] | None:
    try:
        now = parse_utc(exported_at)
    except ValueError:
        return None
    deadline = next_deadline(status, now)
    if deadline is None:
        return None
    return {
        "kind": deadline.kind,
        "label": DEADLINE_LABELS[deadline.kind],
        "at": format_utc(deadline.at),
        "days": round((deadline.at - now).total_seconds() / 86400, 1),
    }


def _responses(item: ItemContext, status: RequestStatus) -> list[dict[str, Any]]:
    entries = [e for e in item.entries if e.action == RESPONSE_RECEIVED]
    found: list[dict[str, Any]] = []
    for entry, response in zip(entries, status.responses, strict=False):
        returned: list[dict[str, Any]] = []
        for item_id in response.items:
            other = item.others.get(item_id)
            returned.append(
                {
                    "id": item_id,
                    "present": other is not None,
                    "files": [f for f in other.files if f.role == "original"] if other else [],
                }
            )
        found.append(
            {
                "seq": entry.seq,
                "at": _t(response.at),
                "reference": response.reference,
                "returned": returned,
            }
        )
    return found


def _letters(item: ItemContext) -> list[PlannedFile]:
    return [
        f
        for f in item.plan.files
        if f.role in LETTER_ROLES
        or f.role.startswith(EXTENSION_LETTER_PREFIX)
        or f.role == RECEIPT_ROLE
    ]


class RequestSection:
    """Any ``R…`` item."""

    name = "request"

    def matches(self, item: ItemContext) -> bool:
        """Requests only."""
        return item.plan.kind == "request"

    def render(self, item: ItemContext) -> Section:
        """Status, deadlines, targets and responses, then the common data."""
        data = base_data(item)
        data["details"] = []  # the request's own facts are shown in full below
        record, problem = _record(item)
        status = derive(item.plan.id, item.entries)
        request: dict[str, Any] = {
            "record": record.model_dump(mode="json") if record else None,
            "record_problem": problem,
            "reference": f"{record.case_id}/{record.id}" if record else None,
            "letters": _letters(item),
            "linked": sorted({i for e in item.entries for i in e.items if i != item.plan.id}),
        }
        if status is None:
            request["status"] = None
        else:
            request["status"] = {
                "type": status.type,
                "platform": status.platform,
                "state": _state(status),
                "phase": status.phase,
                "created": _t(status.created_at),
                "sent": _t(status.sent_at),
                "via": status.via,
                "platform_reference": status.reference,
                "expires": _t(status.expires_at),
                "extension_deadline": _t(status.extension_deadline),
                "extensions": [
                    {"number": e.number, "at": _t(e.at), "days": e.days} for e in status.extensions
                ],
                "extensions_left": status.extensions_left,
                "next_deadline": _deadline(status, item.exported_at),
                "follows": status.follows,
                "outcome": status.outcome,
                "closed": _t(status.closed_at),
                "responses": _responses(item, status),
            }
        data["request"] = request
        return Section("request.html.j2", item_title(item.plan.view), data)
