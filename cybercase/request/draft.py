"""A request being put together: values gathered, missing ones asked for, the record built.

Values come, most specific first, from the caller (:class:`RequestSpec`), the
configuration (``[agency]``, ``[officer]``), the platform directory, the case and the
signing key, and — for a request that follows another — that earlier request. What is
still missing for the request's type is asked for through ``ask`` (a terminal prompt)
or, in a script, reported as one :class:`MissingValuesError` naming every value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cybercase import __version__
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.request.config import RequestConfig
from cybercase.request.fields import (
    FIELDS,
    REQUIRED,
    FieldSpec,
    MissingValuesError,
    clean,
    parse_categories,
    parse_day,
    parse_follow_up,
)
from cybercase.request.identifiers import from_items, merge_identifiers, parse_target
from cybercase.request.lifecycle import RequestStatus
from cybercase.request.models import (
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
from cybercase.request.platforms import Platform, PlatformDirectory
from cybercase.request.query import load_record, load_status


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


MAX_ASKS = 3


Ask = Callable[[FieldSpec, str | None], str]
"""Asks the user for one field; the second argument says what was wrong with the last answer."""


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
        raise InvalidInputError("the platform is empty")
    found = directory.find(spec.platform)
    key, platform = found if found else (spec.platform.strip(), None)
    if spec.days is not None and kind != "preservation":
        raise InvalidInputError(
            "a preservation period in days applies only to a preservation request"
        )
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
        "agency": clean(spec.agency) or clean(a.name) or case.meta.agency,
        "officer_name": clean(spec.officer_name) or clean(o.name) or signer.name,
        "badge": clean(spec.badge) or clean(o.badge),
        "officer_email": clean(spec.officer_email) or clean(o.email) or signer.identity.email,
        "officer_phone": clean(spec.officer_phone) or clean(o.phone),
        "officer_title": clean(spec.officer_title) or clean(o.title),
        "legal_entity": clean(spec.addressee)
        or (clean(platform.legal_entity) if platform else None),
        "channel": clean(spec.channel) or (clean(platform.channel()) if platform else None),
        "categories": categories,
        "date_from": parse_day(spec.date_from, "the start date")
        if spec.date_from
        else (earlier.data.date_from if earlier else None),
        "date_to": parse_day(spec.date_to, "the end date")
        if spec.date_to
        else (earlier.data.date_to if earlier else None),
        "data_description": clean(spec.data_description),
        "legal_basis": clean(spec.legal_basis),
        "offence": clean(spec.offence) or (g.offence if g else None) or case.meta.offence,
        "legal_provision": clean(spec.legal_provision) or (g.legal_provision if g else None),
        "summary": clean(spec.summary) or (g.summary if g else None),
        "relation": clean(spec.relation) or (g.relation if g else None),
        "necessity": clean(spec.necessity),
        "follow_up": parse_follow_up(spec.follow_up)
        if spec.follow_up
        else (g.follow_up if g else None),
        "emergency": clean(spec.emergency),
        "language": clean(spec.language) or config.request.language,
    }
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        raise InvalidInputError(
            f"the start date {values['date_from']} is after the end date {values['date_to']}"
        )
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
        raise MissingValuesError(draft.type, missing)
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
