"""A preservation or disclosure request: to whom, what, its status and deadlines.

Read from the request's ``request`` artifact (``request.json``) when present, and from
the entries that name it otherwise; every field is optional.
"""

from __future__ import annotations

from typing import Any

from cybercase.report.layout import item_title
from cybercase.report.sections.generic import base_data
from cybercase.report.sections.interface import ItemContext, Section, mapping, sequence, text

REQUEST_ROLES = ("request",)


def _deadlines(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(str(k), shown) for k, v in value.items() if (shown := text(v))]
    found: list[tuple[str, str]] = []
    for entry in (mapping(v) for v in sequence(value)):
        label = text(entry.get("label")) or text(entry.get("name")) or "deadline"
        when = text(entry.get("due")) or text(entry.get("at")) or text(entry.get("date"))
        if when:
            found.append((label, when))
    return found


class RequestSection:
    """Any ``R…`` item."""

    name = "request"

    def matches(self, item: ItemContext) -> bool:
        """Requests only."""
        return item.plan.kind == "request"

    def render(self, item: ItemContext) -> Section:
        """Status and deadlines, then the common data."""
        record = item.read_json(*REQUEST_ROLES)
        detail = item.plan.view.detail
        data = base_data(item)
        last_action = item.entries[-1].action if item.entries else item.plan.view.created_action
        deadlines = _deadlines(record.get("deadlines")) or _deadlines(detail.get("deadlines"))
        for key in ("deadline", "due"):
            shown = text(record.get(key)) or text(detail.get(key))
            if shown:
                deadlines.append((key, shown))
        data["request"] = {
            "platform": text(record.get("platform")) or text(detail.get("platform")),
            "type": text(record.get("type")) or text(detail.get("type")),
            "status": text(record.get("status")) or text(detail.get("status")) or last_action,
            "reference": text(record.get("reference")) or text(detail.get("reference")),
            "deadlines": deadlines,
            "letters": item.files("letter", "letter-pdf"),
            "responses": [f for f in item.plan.files if "/responses/" in f.path],
            "linked": sorted({i for e in item.entries for i in e.items if i != item.plan.id}),
        }
        return Section("request.html.j2", item_title(item.plan.view), data)
