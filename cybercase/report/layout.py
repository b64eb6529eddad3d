"""Where each artifact goes in a package: the plan, computed from the custody log alone.

The log is the truth, so the layout is derived from it and nothing else: every artifact
that an entry names gets exactly one place under ``data/``, following the three stages
(``1-collection`` for evidence items, ``2-requests`` for requests and, under each
request's ``responses/``, the items its ``response.received`` entries brought in,
``3-preservation`` for trusted timestamps and TSA certificates), and ``4-custody`` for
artifacts that belong to the log itself (e.g. a torn tail set aside after a crash).
Names are made safe by :mod:`cybercase.report.names`; two artifacts never share a path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cybercase.errors import NotFoundError
from cybercase.evidence import CustodyEntry, ItemView
from cybercase.evidence.log.state import (
    ID_PATTERN,
    REQUEST_PREFIX,
    CaseState,
    artifacts_of,
    id_number,
)
from cybercase.evidence.models import Artifact
from cybercase.evidence.timestamps.records import CHAIN_ROLE, RECEIVED_ROLE, ROOT_ROLE, TOKEN_ROLE
from cybercase.report.names import FolderNames, check_relative, safe_file_name, slug, url_slug
from cybercase.request.lifecycle import RESPONSE_RECEIVED

COLLECTION = "1-collection"
REQUESTS = "2-requests"
PRESERVATION = "3-preservation"
CUSTODY = "4-custody"
TIMESTAMPS = f"{PRESERVATION}/timestamps"
TSA_CERTIFICATES = f"{PRESERVATION}/tsa-certificates"
ATTACHMENTS = f"{CUSTODY}/attachments"

RESPONSES = "responses"
IMAGES = "images"
SUBFOLDERS = (IMAGES, RESPONSES)

TOKEN_ROLES = frozenset({TOKEN_ROLE, RECEIVED_ROLE})
"""Timestamp responses: the token, and the response as received when it was repaired."""
CERTIFICATE_ROLES = frozenset({CHAIN_ROLE, ROOT_ROLE})
"""The certificates an offline verifier needs for a token (``-untrusted``, ``-CAfile``)."""
TIMESTAMP_ROLES = TOKEN_ROLES | CERTIFICATE_ROLES
IMAGE_ROLES = frozenset({"image"})


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """One artifact's copy in the package."""

    path: str
    """Relative to ``data/``, with ``/`` separators."""
    digest: str
    size: int
    media_type: str
    role: str
    name: str
    """The artifact's name as the log records it (before it was made safe)."""
    items: tuple[str, ...]
    seq: int
    action: str
    at: str
    actor: str

    @property
    def data_path(self) -> str:
        """The path relative to the package root (``data/...``), as in the manifests."""
        return f"data/{self.path}"


@dataclass(slots=True)
class ItemPlan:
    """An item or request and its folder in the package."""

    view: ItemView
    folder: str
    files: list[PlannedFile] = field(default_factory=list)
    request: str | None = None
    """For an item a platform returned: the request whose response brought it in."""

    @property
    def id(self) -> str:
        """``E0001`` or ``R0001``."""
        return self.view.id

    @property
    def kind(self) -> str:
        """``evidence`` or ``request``."""
        return self.view.kind


@dataclass(slots=True)
class Plan:
    """The whole layout of a package's artifacts."""

    items: dict[str, ItemPlan] = field(default_factory=dict)
    files: list[PlannedFile] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    """Items and requests left out by ``--items``."""
    skipped: int = 0
    """Artifacts not copied because every item they belong to is excluded."""

    def by_role(self, *roles: str) -> list[PlannedFile]:
        """Files with one of these roles, in log order."""
        return [f for f in self.files if f.role in roles]


def item_title(view: ItemView) -> str:
    """The most telling short description an item's first entry gives."""
    detail = view.detail
    if view.kind == "request":
        kind, to = detail.get("type"), detail.get("addressee") or detail.get("platform")
        if isinstance(kind, str) and isinstance(to, str) and kind.strip() and to.strip():
            return f"{kind.strip()} request to {to.strip()}"
    for key in ("title", "final_url", "url", "requested_url", "original_name", "subject"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    for key in ("platform", "type", "kind"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return view.created_action


def item_folder_name(view: ItemView) -> str:
    """``E0001_<slug>`` or ``R0001_<platform>_<type>``."""
    detail = view.detail
    if view.kind == "request":
        parts = [
            slug(str(detail.get(key, "")), 24)
            for key in ("platform", "type")
            if isinstance(detail.get(key), str)
        ]
        tail = "_".join(p for p in parts if p) or "request"
    else:
        tail = ""
        for key in ("final_url", "url", "requested_url"):
            value = detail.get(key)
            if isinstance(value, str) and value:
                tail = url_slug(value)
                break
        if not tail:
            tail = slug(item_title(view)) or "item"
    return f"{view.id}_{tail}"


def response_items(entries: Iterable[CustodyEntry]) -> dict[str, str]:
    """Items a platform returned, each with the request its ``response.received`` names.

    The entry names the request first, then the evidence items it created.
    """
    found: dict[str, str] = {}
    for entry in entries:
        if entry.action != RESPONSE_RECEIVED:
            continue
        request = next((i for i in entry.items if i.startswith(REQUEST_PREFIX)), None)
        if request is None:
            continue
        for item_id in entry.items:
            if item_id != request and ID_PATTERN.match(item_id):
                found.setdefault(item_id, request)
    return found


def select_items(
    state: CaseState, wanted: Sequence[str], returned: Mapping[str, str] | None = None
) -> set[str]:
    """The item ids an export includes; an unknown id is a usage error.

    A request brings along the items its platform returned (``returned``: item →
    request), which live in its folder; a returned item can also be chosen alone.
    """
    if not wanted:
        return set(state.items)
    chosen: set[str] = set()
    for raw in wanted:
        for token in raw.split(","):
            item_id = token.strip().upper()
            if not item_id:
                continue
            if item_id not in state.items:
                raise NotFoundError(
                    f"no item {item_id} in this case",
                    hint="list the items with 'cybercase status' or 'cybercase log'",
                )
            chosen.add(item_id)
    if not chosen:
        raise NotFoundError("--items names no item", hint="give ids like E0001,R0002")
    for item_id, request in (returned or {}).items():
        if request in chosen and item_id in state.items:
            chosen.add(item_id)
    return chosen


class _Folders:
    def __init__(self) -> None:
        self._names: dict[str, FolderNames] = {}
        self._by_content: dict[tuple[str, str, str], str] = {}

    def place(self, folder: str, name: str, digest: str, dedupe_key: str | None = None) -> str:
        """A free path in ``folder``; the same content under the same key reuses its path."""
        key = (folder, dedupe_key or name, digest)
        if key in self._by_content:
            return self._by_content[key]
        names = self._names.get(folder)
        if names is None:
            names = self._names[folder] = FolderNames()
            for reserved in SUBFOLDERS:
                names.claim(reserved)  # a file may not take the name of a subfolder
        path = f"{folder}/{names.claim(name)}"
        check_relative(path)
        self._by_content[key] = path
        return path


def plan_package(state: CaseState, entries: Iterable[CustodyEntry], included: set[str]) -> Plan:
    """Lay out every artifact the log names, for the items and requests ``included``.

    Requests are laid out before evidence items, so that a returned item's folder can sit
    in its request's ``responses/`` (when that request is in the package).
    """
    entries = list(entries)
    plan = Plan()
    folders = _Folders()
    seen: set[str] = set()
    returned = response_items(entries)
    for item_id in sorted(state.items, key=lambda i: (i[0] != REQUEST_PREFIX, id_number(i))):
        view = state.items[item_id]
        if item_id not in included:
            continue
        request = plan.items.get(returned.get(item_id, ""))
        if view.kind == "request":
            folder = f"{REQUESTS}/{item_folder_name(view)}"
        elif request is not None:
            folder = f"{request.folder}/{RESPONSES}/{item_folder_name(view)}"
        else:
            folder = f"{COLLECTION}/{item_folder_name(view)}"
        plan.items[item_id] = ItemPlan(view, folder, request=request.id if request else None)
    plan.items = dict(sorted(plan.items.items(), key=lambda kv: (kv[0][0], id_number(kv[0]))))
    plan.excluded = sorted(
        (i for i in state.items if i not in included), key=lambda i: (i[0], id_number(i))
    )
    for entry in entries:
        known = [i for i in entry.items if ID_PATTERN.match(i) and i in state.items]
        chosen = [i for i in known if i in plan.items]
        for artifact in artifacts_of(entry):
            if known and not chosen:
                plan.skipped += 1
                continue
            path, owner = _place(entry, artifact, chosen, plan, folders)
            planned = PlannedFile(
                path=path,
                digest=artifact.digest,
                size=artifact.size,
                media_type=artifact.media_type,
                role=artifact.role,
                name=artifact.name,
                items=tuple(entry.items),
                seq=entry.seq,
                action=entry.action,
                at=entry.at,
                actor=entry.actor_name,
            )
            if path in seen:
                continue
            seen.add(path)
            plan.files.append(planned)
            if owner is not None:
                owner.files.append(planned)
    return plan


def _place(
    entry: CustodyEntry,
    artifact: Artifact,
    chosen: list[str],
    plan: Plan,
    folders: _Folders,
) -> tuple[str, ItemPlan | None]:
    name = safe_file_name(artifact.name, fallback=artifact.role or "file")
    owner = plan.items[chosen[0]] if chosen else None
    if artifact.role in TOKEN_ROLES:
        label = "_".join(chosen) if chosen else "log"
        return folders.place(TIMESTAMPS, f"{entry.seq:04d}_{label}_{name}", artifact.digest), owner
    if artifact.role in CERTIFICATE_ROLES:
        # Named by role and content: the same chain serves many tokens, stored once.
        short = artifact.digest.removeprefix("sha256:")[:16]
        label = safe_file_name(f"{artifact.role}_{short}.pem")
        return folders.place(TSA_CERTIFICATES, label, artifact.digest, dedupe_key=label), None
    if owner is None:
        return folders.place(ATTACHMENTS, f"{entry.seq:04d}_{name}", artifact.digest), None
    if entry.action == RESPONSE_RECEIVED:
        request = next((i for i in chosen if i.startswith(REQUEST_PREFIX)), None)
        if request is not None:
            owner = plan.items[request]
            return folders.place(f"{owner.folder}/{RESPONSES}", name, artifact.digest), owner
    folder = f"{owner.folder}/{IMAGES}" if artifact.role in IMAGE_ROLES else owner.folder
    return folders.place(folder, name, artifact.digest), owner
