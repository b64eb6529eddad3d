"""The section every item gets: what the log says about it, its files and its entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cybercase.evidence import CustodyEntry
from cybercase.evidence.actions import TIMESTAMP_GRANTED
from cybercase.report.actions import CASE_EXPORTED
from cybercase.report.layout import TIMESTAMP_ROLES, item_title
from cybercase.report.sections.interface import ItemContext, Section, mapping, sequence, text
from cybercase.request.lifecycle import (
    REQUEST_CLOSED,
    REQUEST_CREATED,
    REQUEST_EXTENDED,
    REQUEST_SENT,
    RESPONSE_RECEIVED,
)

HIDDEN_DETAIL = frozenset({"artifacts", "kind"})
MAX_DESCRIPTION = 200


def _timestamp(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    covers = mapping(detail.get("covers"))
    tsa, when = text(detail.get("tsa")), text(detail.get("gen_time"))
    if detail.get("kind") == "seal":
        parts = [f"seal of entries 1-{text(covers.get('seq')) or '?'}"]
    else:
        name = text(covers.get("name")) or "a file"
        parts = [f"token over {name} of {text(covers.get('item')) or ', '.join(entry.items)}"]
    if tsa:
        parts.append(f"by {tsa}")
    if when:
        parts.append(f"TSA time {when}")
    return parts


def _request_created(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    kind = text(detail.get("type")) or "request"
    to = text(detail.get("addressee")) or text(detail.get("platform")) or "a platform"
    parts = [f"{kind} request to {to}"]
    targets = [t for t in (text(v) for v in sequence(detail.get("targets"))) if t]
    if targets:
        parts.append("targets: " + ", ".join(targets))
    if text(detail.get("follows")):
        parts.append(f"follows {text(detail.get('follows'))}")
    return parts


def _request_sent(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    parts = [f"sent via {text(detail.get('via')) or 'an unrecorded channel'}"]
    if text(detail.get("sent_at")):
        parts[0] += f" at {text(detail.get('sent_at'))}"
    if text(detail.get("reference")):
        parts.append(f"platform reference {text(detail.get('reference'))}")
    if text(detail.get("expires")):
        parts.append(f"preserved until {text(detail.get('expires'))}")
    return parts


def _request_extended(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    number, days = text(detail.get("number")), text(detail.get("days"))
    parts = [f"extension {number or '?'}" + (f" (+{days} days)" if days else "")]
    if text(detail.get("expires")):
        parts.append(f"preserved until {text(detail.get('expires'))}")
    return parts


def _response(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    files = sequence(detail.get("files"))
    returned = list(entry.items[1:])
    parts = [f"{len(files)} file(s) returned" + (f" as {', '.join(returned)}" if returned else "")]
    if text(detail.get("reference")):
        parts.append(f"reference {text(detail.get('reference'))}")
    return parts


def _closed(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    return [f"closed, outcome: {text(detail.get('outcome')) or 'not recorded'}"]


def _exported(detail: dict[str, Any], entry: CustodyEntry) -> list[str]:
    return [f"package {text(detail.get('package')) or '?'}"]


_BY_ACTION: dict[str, Callable[[dict[str, Any], CustodyEntry], list[str]]] = {
    TIMESTAMP_GRANTED: _timestamp,
    REQUEST_CREATED: _request_created,
    REQUEST_SENT: _request_sent,
    REQUEST_EXTENDED: _request_extended,
    RESPONSE_RECEIVED: _response,
    REQUEST_CLOSED: _closed,
    CASE_EXPORTED: _exported,
}


def describe(entry: CustodyEntry) -> str:
    """A short description of an entry for people (the full entry is in custody.html)."""
    detail = entry.detail
    special = _BY_ACTION.get(entry.action)
    parts: list[str] = special(detail, entry) if special else []
    keys = ("text", "note") if special else ("title", "text", "original_name", "url", "final_url")
    for key in (*keys, "status", "result", "reason"):
        shown = text(detail.get(key))
        if shown:
            parts.append(shown if key in ("title", "text", "note") else f"{key}: {shown}")
    custodian = detail.get("custodian")
    if isinstance(custodian, dict) and text(custodian.get("name")):
        parts.append(f"custodian {custodian.get('name')}")
    artifacts = detail.get("artifacts")
    if isinstance(artifacts, list) and artifacts:
        parts.append(f"{len(artifacts)} file(s)")
    joined = "; ".join(parts)
    return joined if len(joined) <= MAX_DESCRIPTION else joined[: MAX_DESCRIPTION - 3] + "…"


def timestamps_of(item: ItemContext) -> list[dict[str, Any]]:
    """The item's own tokens, then the first seal that covers its entry."""
    view = item.plan.view
    found: list[dict[str, Any]] = []
    for token in item.tokens:
        if token.kind == "item" and view.id in token.items:
            found.append({"token": token, "label": f"token over {token.covered_name}"})
    seal = next(
        (
            t
            for t in item.tokens
            if t.kind == "seal" and t.sealed_seq is not None and t.sealed_seq >= view.created_seq
        ),
        None,
    )
    if seal is not None:
        found.append({"token": seal, "label": f"seal of entries 1-{seal.sealed_seq}"})
    return found


def base_data(item: ItemContext) -> dict[str, Any]:
    """What every section shows: details, files (images apart), timestamps and entries."""
    view = item.plan.view
    details = [
        (key, shown)
        for key, value in view.detail.items()
        if key not in HIDDEN_DETAIL and (shown := text(value)) is not None
    ]
    files = [f for f in item.plan.files if f.role not in TIMESTAMP_ROLES]
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
        "timestamps": timestamps_of(item),
        "request": item.plan.request,
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
