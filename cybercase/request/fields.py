"""What each type of request needs, and reading what the user typed for it.

:data:`REQUIRED` lists, per request type, the values a letter cannot go without (the
Budapest Convention's article 29 for a preservation); :data:`FIELDS` says how each is
named to a person and where in the configuration it may already be. The library never
spells a command-line flag: front ends say where a value is given (the CLI maps each
field's key to its option, see ``cybercase.cli.request.options``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cybercase.errors import InvalidInputError
from cybercase.request.lifecycle import OUTCOMES, VIAS
from cybercase.request.models import (
    DATA_CATEGORIES,
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A value a request may need: its key, its name for people, its configuration key."""

    key: str
    label: str
    config: str | None = None
    """Where the configuration may hold it (``[officer] badge``), if anywhere."""


FIELDS: dict[str, FieldSpec] = {
    f.key: f
    for f in (
        FieldSpec("agency", "requesting agency", "[agency] name"),
        FieldSpec("officer_name", "officer's name", "[officer] name"),
        FieldSpec("badge", "officer's badge number", "[officer] badge"),
        FieldSpec("officer_email", "officer's official email", "[officer] email"),
        FieldSpec("officer_phone", "officer's telephone", "[officer] phone"),
        FieldSpec("legal_entity", "platform's legal entity", "the platform directory"),
        FieldSpec(
            "channel",
            "where the request goes (portal, email or address)",
            "the platform directory",
        ),
        FieldSpec("target", "an identifier (URL, account or id)"),
        FieldSpec("categories", "data asked for (subscriber, traffic, content)"),
        FieldSpec("legal_basis", "legal basis (law, order or legal process)"),
        FieldSpec("offence", "offence under investigation"),
        FieldSpec("legal_provision", "legal provision of the offence"),
        FieldSpec("summary", "brief summary of the facts"),
        FieldSpec("relation", "how the data relates to the offence"),
        FieldSpec("necessity", "why preservation is necessary"),
        FieldSpec("follow_up", "intended follow-up (mutual-legal-assistance or production-order)"),
        FieldSpec("emergency", "the emergency (imminent harm)"),
    )
}
"""Every value a request type may need (:data:`REQUIRED`), by key."""


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


class MissingValuesError(InvalidInputError):
    """A request lacks values its type needs; ``fields`` names them all, in order.

    The message names each value and where its configuration lives, never a flag:
    a front end that has flags adds them (the CLI rewrites this message with its
    options, so a script gets one line naming every option to pass).
    """

    def __init__(self, request_type: str, fields: Sequence[FieldSpec]) -> None:
        self.request_type = request_type
        self.fields = tuple(fields)
        names = "; ".join(f"{f.label} ({f.config})" if f.config else f.label for f in fields)
        super().__init__(
            f"a {request_type} request needs: {names}",
            hint="give them as options or in the configuration; at a terminal you are asked",
        )


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


def parse_day(value: str, what: str) -> str:
    """A calendar day, ``YYYY-MM-DD``; ``what`` names it in the error (``the start date``)."""
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise InvalidInputError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from exc


def clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_via(value: str) -> str:
    """How a request went out (``Portal `` is ``portal``); one of :data:`VIAS`."""
    via = value.strip().lower()
    if via not in VIAS:
        raise InvalidInputError(f"unknown channel {via!r}", hint="use portal, email or post")
    return via


def parse_outcome(value: str) -> str:
    """How a request ended (``Fulfilled`` is ``fulfilled``); one of :data:`OUTCOMES`."""
    outcome = value.strip().lower()
    if outcome not in OUTCOMES:
        raise InvalidInputError(
            f"unknown outcome {outcome!r}", hint="use one of: " + ", ".join(OUTCOMES)
        )
    return outcome
