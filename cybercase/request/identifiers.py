"""What a platform can look up: identifiers given by hand or read from evidence items.

A request names URLs, account names, numeric ids and listing ids, and the captures that
show them (with their UTC times and hashes) so the platform looks at the right record
at the right time. Identifiers typed on the command line are classified here; those of
``--items`` are read from the items themselves:

- a web capture has a ``record`` artifact (``record.json``) holding at least the
  requested and final URL, the capture's start and end times and the page's outgoing
  links. It is read *defensively*: the record's layout belongs to the collect layer, so
  several spellings are accepted and whatever is missing is noted, never guessed;
- an imported file contributes its original name, hash and acquisition time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from cybercase.clock import format_utc, parse_utc
from cybercase.errors import CybercaseError, InvalidInputError, NotFoundError
from cybercase.evidence import Case, ItemView
from cybercase.evidence.actions import ITEM_IMPORTED
from cybercase.evidence.log.state import REQUEST_PREFIX
from cybercase.request.accounts import account_links
from cybercase.request.models import (
    IDENTIFIER_KINDS,
    ArtifactRef,
    EvidenceRef,
    Identifier,
    IdentifierKind,
)

RECORD_ROLE = "record"
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_IDENTIFIER_LENGTH = 4096

# Candidate spellings in a capture record, most likely first; a tuple is a nested path.
_REQUESTED_URL = ("requested_url", "request_url", ("request", "url"), "url")
_FINAL_URL = ("final_url", "url_final", ("final", "url"), ("response", "url"))
_START = (
    "started",
    "start",
    "started_at",
    "start_utc",
    "capture_start",
    "started_utc",
    ("capture", "start"),
    ("capture", "started"),
    ("timing", "start"),
    ("times", "start"),
)
_END = (
    "ended",
    "end",
    "ended_at",
    "end_utc",
    "capture_end",
    "ended_utc",
    "finished",
    "finished_at",
    ("capture", "end"),
    ("capture", "ended"),
    ("timing", "end"),
    ("times", "end"),
)
_TITLE = ("title", "page_title", ("page", "title"))
_LINKS = ("links", "outgoing_links", ("page", "links"))

_PREFIXES = {
    "url": "url",
    "account": "account",
    "account-url": "account-url",
    "id": "numeric-id",
    "numeric-id": "numeric-id",
    "listing": "listing-id",
    "listing-id": "listing-id",
    "email": "email",
    "phone": "phone",
    "other": "other",
}


def parse_target(text: str) -> Identifier:
    """Classify one ``--target``: ``kind:value``, a URL, ``@account``, digits, email, phone."""
    value = text.strip()
    if not value:
        raise InvalidInputError("an empty --target was given")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidInputError(f"a --target is longer than {MAX_IDENTIFIER_LENGTH} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidInputError(f"--target {value!r} contains control characters")
    prefix, sep, rest = value.partition(":")
    kind_name = _PREFIXES.get(prefix.lower()) if sep else None
    if kind_name is not None and not rest.startswith("//"):
        rest = rest.strip()
        if not rest:
            raise InvalidInputError(f"--target {value!r} names a kind but no value")
        kind = _kind(kind_name)
        if kind == "url" and not _is_web_url(rest):
            raise InvalidInputError(f"--target {value!r} is not an http(s) URL")
        return Identifier(kind=kind, value=rest)
    if _is_web_url(value):
        return Identifier(kind="url", value=value)
    if "://" in value:
        raise InvalidInputError(
            f"--target {value!r} is a URL that is not http or https",
            hint="give a web address, or say what it is: account:NAME, id:123, listing:456",
        )
    if value.isdigit():
        return Identifier(kind="numeric-id", value=value)
    if value.startswith("+") and value[1:].replace(" ", "").isdigit():
        return Identifier(kind="phone", value=value)
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return Identifier(kind="email", value=value)
    return Identifier(kind="account", value=value)


def _kind(name: str) -> IdentifierKind:
    for kind in IDENTIFIER_KINDS:
        if kind == name:
            return kind
    raise InvalidInputError(f"unknown identifier kind {name!r}")


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True, slots=True)
class ItemIdentifiers:
    """What one evidence item contributes to a request."""

    evidence: EvidenceRef
    identifiers: list[Identifier]


def _lookup(record: dict[str, Any], candidates: Sequence[str | tuple[str, ...]]) -> Any:
    for candidate in candidates:
        path = (candidate,) if isinstance(candidate, str) else candidate
        value: Any = record
        for key in path:
            if not isinstance(value, dict) or key not in value:
                value = None
                break
            value = value[key]
        if value not in (None, "", [], {}):
            return value
    return None


def _url(record: dict[str, Any], candidates: Sequence[str | tuple[str, ...]]) -> str | None:
    value = _lookup(record, candidates)
    return value if isinstance(value, str) and _is_web_url(value) else None


def _time(
    record: dict[str, Any],
    candidates: Sequence[str | tuple[str, ...]],
    label: str,
    notes: list[str],
) -> str | None:
    value = _lookup(record, candidates)
    if value is None:
        notes.append(f"the capture record gives no {label} time")
        return None
    if not isinstance(value, str):
        notes.append(f"the capture record's {label} time is not a text")
        return None
    try:
        return format_utc(parse_utc(value))
    except ValueError:
        notes.append(f"the capture record's {label} time {value[:40]!r} cannot be read")
        return None


def _links(record: dict[str, Any]) -> list[str]:
    value = _lookup(record, _LINKS)
    if not isinstance(value, list):
        return []
    found: list[str] = []
    for link in value:
        url = link
        if isinstance(link, dict):
            url = link.get("url") or link.get("href") or link.get("target")
        if isinstance(url, str) and _is_web_url(url):
            found.append(url)
    return found


def _artifact_refs(view: ItemView) -> list[ArtifactRef]:
    return [ArtifactRef(role=a.role, name=a.name, digest=a.digest) for a in view.artifacts]


def _from_capture(case: Case, view: ItemView, patterns: Sequence[str]) -> ItemIdentifiers:
    notes: list[str] = []
    record_artifact = next(a for a in view.artifacts if a.role == RECORD_ROLE)
    record: dict[str, Any] = {}
    if record_artifact.size > MAX_RECORD_BYTES:
        notes.append("the capture record is too large to read")
    else:
        try:
            parsed = json.loads(case.read_object(record_artifact.digest))
        except (CybercaseError, ValueError) as exc:
            message = exc.message if isinstance(exc, CybercaseError) else "not valid JSON"
            notes.append(f"the capture record cannot be read: {message}")
            parsed = {}
        if isinstance(parsed, dict):
            record = parsed
        else:
            notes.append("the capture record is not a JSON object")
    requested = _url(record, _REQUESTED_URL)
    final = _url(record, _FINAL_URL) or None
    if record and final is None:
        notes.append("the capture record gives no final URL")
    start = _time(record, _START, "start", notes) if record else None
    end = _time(record, _END, "end", notes) if record else None
    title = _lookup(record, _TITLE)
    evidence = EvidenceRef(
        item=view.id,
        kind="capture",
        acquired=view.created_at,
        capture_start=start,
        capture_end=end,
        requested_url=requested,
        final_url=final,
        title=title[:500] if isinstance(title, str) else None,
        artifacts=_artifact_refs(view),
        notes=notes,
    )
    seen = start or end or view.created_at
    identifiers: list[Identifier] = []
    page = final or requested
    if page:
        identifiers.append(Identifier(kind="url", value=page, source=view.id, seen_at=seen))
    if requested and final and requested != final:
        identifiers.append(Identifier(kind="url", value=requested, source=view.id, seen_at=seen))
    for link in account_links(_links(record), page, patterns):
        identifiers.append(Identifier(kind="account-url", value=link, source=view.id, seen_at=seen))
    return ItemIdentifiers(evidence, identifiers)


def _from_file(view: ItemView) -> ItemIdentifiers:
    name = view.detail.get("original_name")
    evidence = EvidenceRef(
        item=view.id,
        kind="file",
        acquired=view.created_at,
        original_name=name if isinstance(name, str) else None,
        artifacts=_artifact_refs(view),
    )
    return ItemIdentifiers(evidence, [])


def from_item(case: Case, item_id: str, patterns: Sequence[str] = ()) -> ItemIdentifiers:
    """The evidence reference and identifiers one item contributes to a request."""
    text = item_id.strip().upper()
    if text.startswith(REQUEST_PREFIX):
        raise InvalidInputError(f"{text} is a request, not an evidence item")
    view = case.item(text)
    try:
        if any(a.role == RECORD_ROLE for a in view.artifacts):
            return _from_capture(case, view, patterns)
        if view.created_action == ITEM_IMPORTED:
            return _from_file(view)
        return ItemIdentifiers(
            EvidenceRef(
                item=view.id,
                kind="other",
                acquired=view.created_at,
                artifacts=_artifact_refs(view),
                notes=[f"an item made by {view.created_action}; no identifiers read from it"],
            ),
            [],
        )
    except ValidationError as exc:
        raise InvalidInputError(
            f"{view.id} holds values that cannot be put in a request: {exc.errors()[0]['msg']}"
        ) from exc


def from_items(
    case: Case, item_ids: Sequence[str], patterns: Sequence[str] = ()
) -> tuple[list[EvidenceRef], list[Identifier]]:
    """Every item's evidence reference, and their identifiers without duplicates."""
    evidence: list[EvidenceRef] = []
    identifiers: list[Identifier] = []
    seen_ids: set[str] = set()
    seen_values: set[tuple[str, str]] = set()
    for raw in item_ids:
        if not raw.strip():
            continue
        if raw.strip().upper() in seen_ids:
            continue
        try:
            found = from_item(case, raw, patterns)
        except NotFoundError as exc:
            raise NotFoundError(f"--items: {exc.message}", hint=exc.hint) from exc
        seen_ids.add(found.evidence.item)
        evidence.append(found.evidence)
        for ident in found.identifiers:
            key = (ident.kind, ident.value)
            if key not in seen_values:
                seen_values.add(key)
                identifiers.append(ident)
    return evidence, identifiers


def merge_identifiers(*groups: Iterable[Identifier]) -> list[Identifier]:
    """Identifiers in order, each (kind, value) once (the first, most informative, kept)."""
    merged: list[Identifier] = []
    seen: set[tuple[str, str]] = set()
    for group in groups:
        for ident in group:
            key = (ident.kind, ident.value)
            if key not in seen:
                seen.add(key)
                merged.append(ident)
    return merged
