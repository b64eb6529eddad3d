"""The section every item gets: what the log says about it, its files and its entries."""

from __future__ import annotations

from typing import Any

from cybercase.evidence import CustodyEntry
from cybercase.report.layout import TOKEN_ROLES, item_title
from cybercase.report.sections.interface import ItemContext, Section, text

HIDDEN_DETAIL = frozenset({"artifacts", "kind"})


def describe(entry: CustodyEntry) -> str:
    """A short description of an entry for people (the full entry is in custody.html)."""
    detail = entry.detail
    parts: list[str] = []
    for key in ("title", "text", "original_name", "url", "final_url", "status", "result", "reason"):
        shown = text(detail.get(key))
        if shown:
            parts.append(shown if key in ("title", "text") else f"{key}: {shown}")
    custodian = detail.get("custodian")
    if isinstance(custodian, dict) and text(custodian.get("name")):
        parts.append(f"custodian {custodian.get('name')}")
    artifacts = detail.get("artifacts")
    if isinstance(artifacts, list) and artifacts:
        parts.append(f"{len(artifacts)} file(s)")
    joined = "; ".join(parts)
    return joined if len(joined) <= 200 else joined[:197] + "…"


def base_data(item: ItemContext) -> dict[str, Any]:
    """What every section shows: details, files (images apart), timestamps and entries."""
    view = item.plan.view
    details = [
        (key, shown)
        for key, value in view.detail.items()
        if key not in HIDDEN_DETAIL and (shown := text(value)) is not None
    ]
    files = [f for f in item.plan.files if f.role not in TOKEN_ROLES]
    return {
        "id": view.id,
        "kind": view.kind,
        "folder": item.plan.folder,
        "created_action": view.created_action,
        "created_at": view.created_at,
        "actor": view.actor_name,
        "details": details,
        "files": files,
        "images": [f for f in files if f.media_type.startswith("image/")],
        "timestamps": [f for f in item.plan.files if f.role in TOKEN_ROLES],
        "entries": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor_name,
                "action": e.action,
                "description": describe(e),
            }
            for e in item.entries
        ],
    }


class GenericSection:
    """Any item: imported files, notes, and kinds no other renderer knows yet."""

    name = "generic"

    def matches(self, item: ItemContext) -> bool:
        """Handles everything (it is tried last)."""
        return True

    def render(self, item: ItemContext) -> Section:
        """The common data only."""
        return Section("generic.html.j2", item_title(item.plan.view), base_data(item))
