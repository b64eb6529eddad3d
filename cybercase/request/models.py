"""``request.json``: what a preservation, disclosure, emergency or takedown request asks.

The record is written once, when the request is created, stored as an object and named
by the ``request.created`` custody entry. It holds everything the letter states, so the
letter can be checked against it and re-rendered. What happens afterwards (sending,
extensions, responses, closing) is not written back into it: each step is a custody
entry, and the request's state is derived from those entries (see :mod:`.lifecycle`).

Field names follow the vocabulary of Article 29(2) of the Budapest Convention where
it applies (authority, offence, summary of facts, data and its relation to the offence,
custodian of the data, necessity of preservation, intended mutual assistance).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from cybercase.evidence.models import DigestText, Record

REQUEST_FORMAT = "cybercase-request/1"

RequestType = Literal["preservation", "disclosure", "emergency", "takedown"]
REQUEST_TYPES: tuple[RequestType, ...] = ("preservation", "disclosure", "emergency", "takedown")

DataCategory = Literal["subscriber", "traffic", "content"]
DATA_CATEGORIES: tuple[DataCategory, ...] = ("subscriber", "traffic", "content")

FollowUp = Literal["mutual-legal-assistance", "production-order"]
FOLLOW_UPS: tuple[FollowUp, ...] = ("mutual-legal-assistance", "production-order")

IdentifierKind = Literal[
    "url", "account", "account-url", "numeric-id", "listing-id", "email", "phone", "other"
]
IDENTIFIER_KINDS: tuple[IdentifierKind, ...] = (
    "url",
    "account",
    "account-url",
    "numeric-id",
    "listing-id",
    "email",
    "phone",
    "other",
)

_REQUEST_ID = re.compile(r"^R\d{4,}$")
_ITEM_ID = re.compile(r"^E\d{4,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


class _Record(Record):
    """Frozen and strict like every record; field docstrings go into the JSON Schema."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def _check_request_id(value: str) -> str:
    if not _REQUEST_ID.match(value):
        raise ValueError("a request id is R followed by at least four digits (R0001)")
    return value


def _check_item_id(value: str) -> str:
    if not _ITEM_ID.match(value):
        raise ValueError("an evidence item id is E followed by at least four digits (E0001)")
    return value


def _check_date(value: str) -> str:
    if not _DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _check_utc(value: str) -> str:
    if not _UTC.match(value):
        raise ValueError("a time is UTC, written 2026-03-01T09:00:00.000000Z")
    return value


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise ValueError("must not contain control characters")
    return value


RequestId = Annotated[str, AfterValidator(_check_request_id)]
ItemId = Annotated[str, AfterValidator(_check_item_id)]
DateText = Annotated[str, AfterValidator(_check_date)]
UtcText = Annotated[str, AfterValidator(_check_utc)]
Text = Annotated[str, AfterValidator(_check_text)]


class Identifier(_Record):
    """One thing the platform can look up: a URL, an account, a numeric or listing id."""

    kind: IdentifierKind
    """What the value is; platforms search differently for a URL and for a numeric id."""
    value: Text
    """The identifier exactly as it should appear in the letter."""
    source: ItemId | None = None
    """The evidence item it was read from, or ``None`` when the investigator gave it."""
    seen_at: UtcText | None = None
    """When the capture that shows it was made (UTC), so the platform looks at that time."""


class ArtifactRef(_Record):
    """One file of an evidence item, named by hash so the platform can match it."""

    role: str
    """The artifact's role in its item (``warc``, ``record``, ``screenshot``, ``original``...)."""
    name: str
    """The artifact's file name."""
    digest: DigestText
    """``sha256:<hex>`` of the artifact."""


class EvidenceRef(_Record):
    """An evidence item the request relies on: when it was captured and its hashes."""

    item: ItemId
    """The item's id in this case."""
    kind: Literal["capture", "file", "other"]
    """A web capture, an imported file, or an item of another kind."""
    acquired: UtcText
    """When the item entered the case (its first custody entry)."""
    capture_start: UtcText | None = None
    """Start of the capture (UTC), from the capture record."""
    capture_end: UtcText | None = None
    """End of the capture (UTC), from the capture record."""
    requested_url: str | None = None
    """The URL that was asked for."""
    final_url: str | None = None
    """The URL that was finally served, after redirects."""
    title: str | None = None
    """The page title, when the capture recorded one."""
    original_name: str | None = None
    """For an imported file: its name when it was imported."""
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    """The item's files with their hashes."""
    notes: list[str] = Field(default_factory=list)
    """What could not be read from the item (e.g. a capture record without a final URL)."""


class DataSought(_Record):
    """The stored data asked for (Art. 29(2)(c), first half)."""

    categories: list[DataCategory] = Field(default_factory=list)
    """Subscriber information, traffic data (IP logs, connection records), content."""
    date_from: DateText | None = None
    """First day of the period the data should cover (inclusive)."""
    date_to: DateText | None = None
    """Last day of the period (inclusive)."""
    description: str | None = None
    """Anything more precise the platform should know about the data."""


class Authority(_Record):
    """The requesting authority (Art. 29(2)(a))."""

    agency: Text
    """The agency's name."""
    unit: str | None = None
    """Department or unit."""
    address: str | None = None
    """Postal address."""
    country: str | None = None
    """Country."""
    email: str | None = None
    """The agency's official email address."""
    phone: str | None = None
    """The agency's telephone number."""


class Officer(_Record):
    """The officer making the request, whom the platform will contact."""

    name: Text
    """Full name."""
    badge: Text
    """Badge or warrant-card number."""
    email: Text
    """Official (government) email address."""
    phone: Text
    """Telephone number where the officer can be reached."""
    title: str | None = None
    """Rank or function."""


class Addressee(_Record):
    """The custodian of the data (Art. 29(2)(d)) and how to reach it."""

    platform: Text
    """The platform's key in the directory, or the name given by the investigator."""
    name: Text
    """The platform's display name."""
    legal_entity: Text
    """The legal entity that holds the data and receives the request."""
    channel: Text
    """Where the request goes: a portal, an email address or a postal address."""


class Grounds(_Record):
    """Why the request is made and on what legal basis."""

    legal_basis: str | None = None
    """The law, order or legal process the request is made under."""
    offence: str | None = None
    """The offence under investigation (Art. 29(2)(b))."""
    legal_provision: str | None = None
    """The legal provision that defines the offence."""
    summary: str | None = None
    """A brief summary of the facts (Art. 29(2)(b))."""
    relation: str | None = None
    """How the data relates to the offence (Art. 29(2)(c))."""
    necessity: str | None = None
    """Why preservation is necessary (Art. 29(2)(e))."""
    follow_up: FollowUp | None = None
    """The legal process that will follow (Art. 29(2)(f)): mutual assistance or an order."""
    emergency: str | None = None
    """For an emergency request: the imminent harm and why normal process cannot wait."""
    notify_user: bool = False
    """Whether the platform may tell the account holder about the request."""


class DeadlinePolicy(_Record):
    """The preservation deadlines in force for this request, fixed when it was created."""

    preservation_days: int = Field(ge=1, le=3650)
    """How long the platform keeps the data after receiving the request."""
    extension_days: int = Field(ge=1, le=3650)
    """How much longer each extension keeps it."""
    extension_notice_days: int = Field(ge=0, le=365)
    """How many days before expiry an extension must be asked for."""
    max_extensions: int | None = Field(default=None, ge=0)
    """How many extensions the platform grants; ``None`` when no limit is known."""


class RequestRecord(_Record):
    """``request.json``: one request to a platform, as created."""

    format: Literal["cybercase-request/1"] = "cybercase-request/1"
    """Version of this record's layout."""
    id: RequestId
    """The request's id in its case (R0001...)."""
    case_id: str
    """The case the request belongs to."""
    type: RequestType
    """Preservation, disclosure, emergency or takedown."""
    created: UtcText
    """When the record was made (UTC)."""
    language: str
    """The language of the letter (e.g. ``en``)."""
    addressee: Addressee
    """Who holds the data and receives the request."""
    authority: Authority
    """Who asks."""
    officer: Officer
    """The officer in charge of the request."""
    targets: list[Identifier] = Field(min_length=1)
    """What the platform should look for."""
    evidence: list[EvidenceRef] = Field(default_factory=list)
    """The evidence items that show the targets."""
    data: DataSought
    """The data asked for and the period it covers."""
    grounds: Grounds
    """Legal basis, offence, facts and the reasons for the request."""
    follows: RequestId | None = None
    """The earlier request this one follows (e.g. the preservation before a disclosure)."""
    deadlines: DeadlinePolicy | None = None
    """For a preservation request: the periods that apply to it."""
    tool: str
    """The cybercase version that made the record."""


def request_schema() -> dict[str, object]:
    """The JSON Schema of ``request.json``, as published in ``docs/request.schema.json``."""
    schema = RequestRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def record_bytes(record: RequestRecord) -> bytes:
    """``request.json`` as stored: indented, UTF-8, one final newline."""
    text = json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
