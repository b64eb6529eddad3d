"""Creating a request: gather what the platform needs, ask for what is missing, record it.

Values come, most specific first, from the command line (:class:`RequestSpec`), the
configuration (``[agency]``, ``[officer]``), the platform directory, the case and the
signing key, and — for a request that follows another — that earlier request. What is
still missing for the request's type is asked for through ``ask`` (a terminal prompt)
or, in a script, reported in one line naming every missing option.

The ``request.created`` entry is written under the case lock, with the new id, the
record (``request.json``) and the rendered letter(s) as artifacts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from cybercase import __version__
from cybercase.clock import Clock, format_utc
from cybercase.errors import InvalidInputError
from cybercase.evidence import Artifact, Case, CustodyEntry, EntryDraft, Signer
from cybercase.evidence.log.state import REQUEST_PREFIX
from cybercase.request.config import RequestConfig
from cybercase.request.identifiers import from_items, merge_identifiers, parse_target
from cybercase.request.letters import LetterRenderer, PdfMaker, browser_pdf_maker, make_pdf
from cybercase.request.lifecycle import REQUEST_CREATED, RequestStatus
from cybercase.request.models import (
    DATA_CATEGORIES,
    REQUEST_TYPES,
    Addressee,
    Authority,
    DataSought,
    DeadlinePolicy,
    EvidenceRef,
    Grounds,
    Identifier,
    Officer,
    RequestRecord,
    RequestType,
)
from cybercase.request.platforms import Platform, PlatformDirectory, load_directory
from cybercase.request.query import load_record, load_status

PdfChoice = PdfMaker | None | Literal["auto"]


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What the investigator gave for a new request (everything but type and platform optional)."""

    type: str
    platform: str
    targets: Sequence[str] = ()
    items: Sequence[str] = ()
    categories: Sequence[str] = ()
    date_from: str | None = None
    date_to: str | None = None
    data_description: str | None = None
    legal_basis: str | None = None
    offence: str | None = None
    legal_provision: str | None = None
    summary: str | None = None
    relation: str | None = None
    necessity: str | None = None
    follow_up: str | None = None
    emergency: str | None = None
    notify_user: bool = False
    agency: str | None = None
    officer_name: str | None = None
    badge: str | None = None
    officer_email: str | None = None
    officer_phone: str | None = None
    officer_title: str | None = None
    addressee: str | None = None
    channel: str | None = None
    days: int | None = None
    language: str | None = None
    follows: str | None = None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A value a request may need, and where the user can give it."""

    key: str
    label: str
    option: str
    config: str | None = None

    def where(self) -> str:
        """``--badge or [officer] badge``."""
        return f"{self.option} or {self.config}" if self.config else self.option


FIELDS: dict[str, FieldSpec] = {
    f.key: f
    for f in (
        FieldSpec("agency", "requesting agency", "--agency", "[agency] name"),
        FieldSpec("officer_name", "officer's name", "--officer", "[officer] name"),
        FieldSpec("badge", "officer's badge number", "--badge", "[officer] badge"),
        FieldSpec(
            "officer_email", "officer's official email", "--officer-email", "[officer] email"
        ),
        FieldSpec("officer_phone", "officer's telephone", "--officer-phone", "[officer] phone"),
        FieldSpec(
            "legal_entity", "platform's legal entity", "--addressee", "the platform directory"
        ),
        FieldSpec(
            "channel",
            "where the request goes (portal, email or address)",
            "--channel",
            "the platform directory",
        ),
        FieldSpec("target", "an identifier (URL, account or id)", "--target or --items"),
        FieldSpec("categories", "data asked for (subscriber, traffic, content)", "--data"),
        FieldSpec("legal_basis", "legal basis (law, order or legal process)", "--legal-basis"),
        FieldSpec("offence", "offence under investigation", "--offence"),
        FieldSpec("legal_provision", "legal provision of the offence", "--legal-provision"),
        FieldSpec("summary", "brief summary of the facts", "--summary"),
        FieldSpec("relation", "how the data relates to the offence", "--relation"),
        FieldSpec("necessity", "why preservation is necessary", "--necessity"),
        FieldSpec(
            "follow_up",
            "intended follow-up (mutual-legal-assistance or production-order)",
            "--follow-up",
        ),
        FieldSpec("emergency", "the emergency (imminent harm)", "--emergency"),
    )
}
_COMMON = (
    "agency",
    "officer_name",
    "badge",
    "officer_email",
    "officer_phone",
    "legal_entity",
    "channel",
    "target",
)
REQUIRED: dict[str, tuple[str, ...]] = {
    "preservation": (
        *_COMMON,
        "categories",
        "offence",
        "legal_provision",
        "summary",
        "relation",
        "necessity",
        "follow_up",
    ),
    "disclosure": (
        *_COMMON,
        "categories",
        "legal_basis",
        "offence",
        "legal_provision",
        "summary",
        "relation",
    ),
    "emergency": (*_COMMON, "categories", "emergency"),
    "takedown": (*_COMMON, "legal_basis", "summary"),
}
MAX_ASKS = 3

Ask = Callable[[FieldSpec, str | None], str]
"""Asks the user for one field; the second argument says what was wrong with the last answer."""

_FOLLOW_UP_ALIASES = {
    "mla": "mutual-legal-assistance",
    "mutual-legal-assistance": "mutual-legal-assistance",
    "mutual legal assistance": "mutual-legal-assistance",
    "production-order": "production-order",
    "production order": "production-order",
    "order": "production-order",
}


def parse_categories(values: Sequence[str]) -> list[str]:
    """``subscriber,traffic`` (repeatable, comma-separated) into known categories, in order."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name in ("ip", "ip-logs", "logs"):
                name = "traffic"
            if name not in DATA_CATEGORIES:
                raise InvalidInputError(
                    f"unknown data category {part.strip()!r}",
                    hint="use subscriber, traffic or content",
                )
            if name not in found:
                found.append(name)
    return found


def parse_follow_up(value: str) -> str:
    """``mla`` / ``production-order`` into the record's spelling."""
    name = _FOLLOW_UP_ALIASES.get(value.strip().lower())
    if name is None:
        raise InvalidInputError(
            f"unknown follow-up {value!r}", hint="use mutual-legal-assistance or production-order"
        )
    return name


def parse_day(value: str, option: str) -> str:
    """A calendar day, ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise InvalidInputError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from exc


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(slots=True)
class Draft:
    """A request being put together (before it has an id)."""

    type: RequestType
    platform_key: str
    platform: Platform | None
    values: dict[str, Any]
    targets: list[Identifier]
    evidence: list[EvidenceRef]
    follows: RequestStatus | None
    policy: DeadlinePolicy | None = None
    notes: list[str] = field(default_factory=list)

    def missing(self) -> list[FieldSpec]:
        """The fields this type of request needs that have no value yet."""
        out: list[FieldSpec] = []
        for key in REQUIRED[self.type]:
            have = bool(self.targets) if key == "target" else bool(self.values.get(key))
            if not have:
                out.append(FIELDS[key])
        return out

    def accept(self, spec: FieldSpec, answer: str) -> None:
        """Take an answer to a question (raises InvalidInputError if it cannot be used)."""
        text = answer.strip()
        if not text:
            raise InvalidInputError(f"the {spec.label} cannot be empty")
        if spec.key == "target":
            self.targets.append(parse_target(text))
        elif spec.key == "categories":
            categories = parse_categories([text])
            if not categories:
                raise InvalidInputError("give at least one of subscriber, traffic, content")
            self.values["categories"] = categories
        elif spec.key == "follow_up":
            self.values["follow_up"] = parse_follow_up(text)
        else:
            self.values[spec.key] = text


def prepare(
    case: Case,
    signer: Signer,
    spec: RequestSpec,
    config: RequestConfig,
    directory: PlatformDirectory,
) -> Draft:
    """Collect every value from the spec, the configuration, the directory and the case."""
    wanted = spec.type.strip().lower()
    kind = next((t for t in REQUEST_TYPES if t == wanted), None)
    if kind is None:
        raise InvalidInputError(
            f"unknown request type {spec.type!r}",
            hint="use preservation, disclosure, emergency or takedown",
        )
    if not spec.platform.strip():
        raise InvalidInputError("--platform is empty")
    found = directory.find(spec.platform)
    key, platform = found if found else (spec.platform.strip(), None)
    if spec.days is not None and kind != "preservation":
        raise InvalidInputError("--days applies only to a preservation request")
    follows = load_status(case, spec.follows) if spec.follows else None
    earlier = load_record(case, follows) if follows else None

    targets = [parse_target(t) for t in spec.targets]
    patterns = platform.account_url_patterns if platform else []
    evidence, item_ids = from_items(case, list(spec.items), patterns)
    targets = merge_identifiers(targets, item_ids)
    if earlier is not None and not targets:
        targets = list(earlier.targets)
        evidence = list(earlier.evidence)
    elif earlier is not None and not evidence:
        evidence = list(earlier.evidence)

    a, o = config.agency, config.officer
    g = earlier.grounds if earlier else None
    categories = parse_categories(spec.categories)
    if not categories and earlier is not None:
        categories = list(earlier.data.categories)
    values: dict[str, Any] = {
        "agency": _clean(spec.agency) or _clean(a.name) or case.meta.agency,
        "officer_name": _clean(spec.officer_name) or _clean(o.name) or signer.name,
        "badge": _clean(spec.badge) or _clean(o.badge),
        "officer_email": _clean(spec.officer_email) or _clean(o.email) or signer.identity.email,
        "officer_phone": _clean(spec.officer_phone) or _clean(o.phone),
        "officer_title": _clean(spec.officer_title) or _clean(o.title),
        "legal_entity": _clean(spec.addressee)
        or (_clean(platform.legal_entity) if platform else None),
        "channel": _clean(spec.channel) or (_clean(platform.channel()) if platform else None),
        "categories": categories,
        "date_from": parse_day(spec.date_from, "--from")
        if spec.date_from
        else (earlier.data.date_from if earlier else None),
        "date_to": parse_day(spec.date_to, "--to")
        if spec.date_to
        else (earlier.data.date_to if earlier else None),
        "data_description": _clean(spec.data_description),
        "legal_basis": _clean(spec.legal_basis),
        "offence": _clean(spec.offence) or (g.offence if g else None) or case.meta.offence,
        "legal_provision": _clean(spec.legal_provision) or (g.legal_provision if g else None),
        "summary": _clean(spec.summary) or (g.summary if g else None),
        "relation": _clean(spec.relation) or (g.relation if g else None),
        "necessity": _clean(spec.necessity),
        "follow_up": parse_follow_up(spec.follow_up)
        if spec.follow_up
        else (g.follow_up if g else None),
        "emergency": _clean(spec.emergency),
        "language": _clean(spec.language) or config.request.language,
    }
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        raise InvalidInputError(f"--from {values['date_from']} is after --to {values['date_to']}")
    draft = Draft(kind, key, platform, values, targets, evidence, follows)
    if platform is not None and platform.placeholder:
        draft.notes.append(f"the directory entry '{key}' is a placeholder: check its contacts")
    for ref in evidence:
        draft.notes.extend(f"{ref.item}: {note}" for note in ref.notes)
    return draft


def complete(draft: Draft, ask: Ask | None) -> None:
    """Ask for every missing field (at a terminal), or fail in one line naming them all."""
    missing = draft.missing()
    if not missing:
        return
    if ask is None:
        names = "; ".join(f"{f.label} ({f.where()})" for f in missing)
        raise InvalidInputError(
            f"a {draft.type} request needs: {names}",
            hint="give them as options or in the configuration; at a terminal you are asked",
        )
    for spec in missing:
        problem: str | None = None
        for attempt in range(MAX_ASKS):
            try:
                draft.accept(spec, ask(spec, problem))
                break
            except InvalidInputError as exc:
                if attempt == MAX_ASKS - 1:
                    raise
                problem = exc.message


def build_record(case: Case, draft: Draft, request_id: str, created: str) -> RequestRecord:
    """The record of a complete draft; a value the model refuses is a one-line error."""
    v = draft.values
    try:
        return RequestRecord(
            id=request_id,
            case_id=case.meta.id,
            type=draft.type,
            created=created,
            language=v["language"],
            addressee=Addressee(
                platform=draft.platform_key,
                name=draft.platform.name if draft.platform else draft.platform_key,
                legal_entity=v["legal_entity"],
                channel=v["channel"],
            ),
            authority=Authority(
                agency=v["agency"],
                unit=draft.values.get("agency_unit"),
                address=draft.values.get("agency_address"),
                country=draft.values.get("agency_country"),
                email=draft.values.get("agency_email"),
                phone=draft.values.get("agency_phone"),
            ),
            officer=Officer(
                name=v["officer_name"],
                badge=v["badge"],
                email=v["officer_email"],
                phone=v["officer_phone"],
                title=v["officer_title"],
            ),
            targets=draft.targets,
            evidence=draft.evidence,
            data=DataSought(
                categories=v["categories"],
                date_from=v["date_from"],
                date_to=v["date_to"],
                description=v["data_description"],
            ),
            grounds=Grounds(
                legal_basis=v["legal_basis"],
                offence=v["offence"],
                legal_provision=v["legal_provision"],
                summary=v["summary"],
                relation=v["relation"],
                necessity=v["necessity"],
                follow_up=v["follow_up"],
                emergency=v["emergency"],
                notify_user=bool(v.get("notify_user", False)),
            ),
            follows=draft.follows.id if draft.follows else None,
            deadlines=draft.policy if draft.type == "preservation" else None,
            tool=f"cybercase {__version__}",
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(f"the request cannot be recorded: {where}: {first['msg']}") from exc


def record_bytes(record: RequestRecord) -> bytes:
    """``request.json`` as stored: indented, UTF-8, one final newline."""
    text = json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def letter_context(
    case: Case,
    record: RequestRecord,
    *,
    date_text: str,
    follows: dict[str, Any] | None = None,
    extension: dict[str, Any] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """What a letter template sees (documented in docs/requests.md)."""
    data = record.model_dump(mode="json")
    return {
        "request": data,
        "case": case.meta.model_dump(),
        "agency": data["authority"],
        "officer": data["officer"],
        "addressee": data["addressee"],
        "grounds": data["grounds"],
        "data": data["data"],
        "targets": data["targets"],
        "evidence": data["evidence"],
        "date": date_text,
        "reference": f"{case.meta.id}/{record.id}",
        "language": language or record.language,
        "follows": follows,
        "extension": extension,
    }


def follows_context(case: Case, status: RequestStatus | None) -> dict[str, Any] | None:
    """How a letter refers to the request it follows."""
    if status is None:
        return None
    text = f"{case.meta.id}/{status.id}"
    if status.reference:
        text += f" (your reference {status.reference})"
    return {
        "id": status.id,
        "type": status.type,
        "reference": status.reference,
        "reference_text": text,
        "sent": format_utc(status.sent_at) if status.sent_at else None,
    }


def resolve_pdf(choice: PdfChoice) -> tuple[PdfMaker | None, str | None]:
    """The PDF maker to use, or why none is used."""
    if choice == "auto":
        maker = browser_pdf_maker()
        if maker is None:
            return None, "PDF not made: this cybercase has no browser module (letter.html is kept)"
        return maker, None
    if choice is None:
        return None, "PDF not made: not asked for (letter.html is kept)"
    return choice, None


@dataclass(slots=True)
class StepResult:
    """What a request step did."""

    request_id: str
    entry: CustodyEntry
    status: RequestStatus
    artifacts: list[Artifact] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    """New evidence items (for a response)."""
    messages: list[str] = field(default_factory=list)
    """One-line remarks for the user (PDF skipped, late extension...)."""

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "request": self.request_id,
            "entry": {"seq": self.entry.seq, "action": self.entry.action, "at": self.entry.at},
            "status": self.status.to_json(),
            "artifacts": [a.model_dump() for a in self.artifacts],
            "items": self.items,
            "messages": self.messages,
        }


def store_letter(
    case: Case,
    html: str,
    pdf_choice: PdfChoice,
    *,
    stem: str,
    role: str,
) -> tuple[list[Artifact], list[str]]:
    """Store a rendered letter (HTML, and PDF when a browser is there) as artifacts."""
    html_bytes = html.encode("utf-8")
    digest = case.store.put_bytes(html_bytes, sync=False)
    artifacts = [
        Artifact(
            role=role,
            name=f"{stem}.html",
            digest=str(digest),
            size=len(html_bytes),
            media_type="text/html",
        )
    ]
    messages: list[str] = []
    maker, why = resolve_pdf(pdf_choice)
    pdf = None
    if maker is not None:
        pdf, why = make_pdf(html, maker)
    if pdf is not None:
        pdf_digest = case.store.put_bytes(pdf, sync=False)
        artifacts.append(
            Artifact(
                role=f"{role}-pdf",
                name=f"{stem}.pdf",
                digest=str(pdf_digest),
                size=len(pdf),
                media_type="application/pdf",
            )
        )
    elif why:
        messages.append(why)
    return artifacts, messages


def create_request(
    case: Case,
    signer: Signer,
    spec: RequestSpec,
    *,
    config: RequestConfig | None = None,
    directory: PlatformDirectory | None = None,
    ask: Ask | None = None,
    pdf: PdfChoice = "auto",
    clock: Clock | None = None,
) -> StepResult:
    """Create a request: its record and letter stored, one ``request.created`` entry.

    Nothing is stored until every value is known and valid; a missing value without
    ``ask`` (a script) is one error naming every option that is needed.
    """
    config = config or RequestConfig()
    directory = directory or load_directory(config)
    clock = clock or case.clock
    draft = prepare(case, signer, spec, config, directory)
    draft.values["notify_user"] = spec.notify_user
    for name in ("unit", "address", "country", "email", "phone"):
        draft.values[f"agency_{name}"] = _clean(getattr(config.agency, name))
    if draft.type == "preservation":
        draft.policy = directory.policy(draft.platform, config, spec.days)
    complete(draft, ask)
    renderer = LetterRenderer(config.templates_folder(), draft.values["language"])
    # Validate everything once with a stand-in id, so a bad value fails before the lock.
    build_record(case, draft, f"{REQUEST_PREFIX}0000", format_utc(clock.now()))
    with case.transaction(signer) as tx:
        request_id = tx.new_id(REQUEST_PREFIX)
        created = format_utc(clock.now())
        record = build_record(case, draft, request_id, created)
        letter = renderer.render(
            record.type,
            letter_context(
                case,
                record,
                date_text=created,
                follows=follows_context(case, draft.follows),
                language=draft.values["language"],
            ),
        )
        body = record_bytes(record)
        record_digest = case.store.put_bytes(body, sync=False)
        artifacts = [
            Artifact(
                role="request",
                name="request.json",
                digest=str(record_digest),
                size=len(body),
                media_type="application/json",
            )
        ]
        letter_artifacts, messages = store_letter(
            case, letter.html, pdf, stem="letter", role="letter"
        )
        artifacts.extend(letter_artifacts)
        detail: dict[str, Any] = {
            "type": record.type,
            "platform": draft.platform_key,
            "addressee": record.addressee.legal_entity,
            "targets": [t.value for t in record.targets],
            "evidence": [e.item for e in record.evidence],
            "letter": letter.describe(),
            "artifacts": [a.model_dump() for a in artifacts],
        }
        if record.follows:
            detail["follows"] = record.follows
        if record.deadlines is not None:
            detail["policy"] = record.deadlines.model_dump()
        tx.add(EntryDraft(REQUEST_CREATED, (request_id,), detail))
    if letter.note:
        messages.insert(0, letter.note)
    status = load_status(case, request_id)
    return StepResult(
        request_id, tx.committed[-1], status, artifacts, messages=[*draft.notes, *messages]
    )
