"""What a section renderer receives and returns."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cybercase.evidence import CustodyEntry
from cybercase.report.layout import ItemPlan, PlannedFile
from cybercase.report.timestamps import PackagedToken

MAX_RECORD_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ItemContext:
    """An item as the report sees it: its plan, its entries, and its files' bytes."""

    plan: ItemPlan
    entries: list[CustodyEntry]
    """The custody entries that name the item, in log order."""
    read_file: Callable[[PlannedFile], bytes]
    """The bytes of one of the item's files, as copied into the package."""
    exported_at: str = ""
    """When the package was made (UTC): deadlines are told as of then."""
    others: Mapping[str, ItemPlan] = field(default_factory=dict)
    """Every item in the package, by id (to link to a related item, or say it is absent)."""
    tokens: Sequence[PackagedToken] = ()
    """Every trusted timestamp in the package."""

    def files(self, *roles: str) -> list[PlannedFile]:
        """The item's files with one of these roles (all files when none is given)."""
        return [f for f in self.plan.files if not roles or f.role in roles]

    def first(self, *roles: str) -> PlannedFile | None:
        """The first file with one of these roles."""
        found = self.files(*roles)
        return found[0] if found else None

    def read_json(self, *roles: str) -> dict[str, Any]:
        """The first file with one of these roles, parsed as a JSON object (else empty).

        Read defensively: a record is only ever shown, and a missing, huge or
        malformed one leaves its fields blank rather than breaking the report.
        """
        planned = self.first(*roles)
        if planned is None or planned.size > MAX_RECORD_BYTES:
            return {}
        try:
            value = json.loads(self.read_file(planned))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class Section:
    """A rendered-to-be section: a template and the data it shows."""

    template: str
    """Template under ``templates/sections/``."""
    title: str
    data: dict[str, Any] = field(default_factory=dict)


class SectionRenderer(Protocol):
    """Turns one kind of item into a section of the report."""

    name: str

    def matches(self, item: ItemContext) -> bool:
        """Whether this renderer handles ``item``."""
        ...

    def render(self, item: ItemContext) -> Section:
        """The section for ``item``."""
        ...


def text(value: Any) -> str | None:
    """A value worth showing as text, or ``None`` (records are read, never trusted)."""
    if isinstance(value, bool) or value is None:
        return None if value is None else ("yes" if value else "no")
    if isinstance(value, str | int | float):
        shown = str(value).strip()
        return shown or None
    return None


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
