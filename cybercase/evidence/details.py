"""The custody log's vocabulary: each action's name and the model of its ``detail``.

Every layer that writes entries declares its actions in its own ``actions`` module with
:func:`action`, which ties a name to a frozen pydantic model. Writers build the model and
log it with :meth:`EntryDraft.of`; readers go through :meth:`CustodyEntry.detail_as`, so
a detail is validated once, where it is read, instead of being picked apart with
``.get("key")``. The registry lets the docs publish one JSON Schema per action and lets a
test prove every action written today still reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cybercase.errors import CaseCorruptError


class Detail(BaseModel):
    """Base of every entry detail: frozen, and strict about unknown fields.

    Strict because the log is evidence: a field a reader does not know is a field it
    would silently ignore, so it fails loudly instead (a newer version's entry, or a
    hand edit that kept the signature valid by re-signing).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_detail(self) -> dict[str, Any]:
        """The JSON object written as the entry's ``detail``.

        Fields left at ``None`` are left out, as the hand-built details of earlier
        versions did, so an entry written today is byte-for-byte what it always was.
        """
        return self.model_dump(mode="json", exclude_none=True)


D = TypeVar("D", bound=Detail)


@dataclass(frozen=True, slots=True)
class Action:
    """One kind of custody entry: its name and the model of its detail."""

    name: str
    model: type[Detail]
    layer: str
    """The package that writes it (``evidence``, ``collect``…), for the docs."""


_REGISTRY: dict[str, Action] = {}


def action(name: str, model: type[Detail], layer: str) -> str:
    """Register an action and return its name, for use as a module constant.

    ``ITEM_ACQUIRED = action("item.acquired", AcquiredDetail, "collect")`` both names the
    action and makes its schema known. Registering one name twice with another model is
    a programming error: two modules would disagree on what the entry holds.
    """
    known = _REGISTRY.get(name)
    if known is not None and known.model is not model:
        raise RuntimeError(f"custody action {name} is registered twice")
    _REGISTRY[name] = Action(name=name, model=model, layer=layer)
    return name


def registered_actions() -> list[Action]:
    """Every action registered so far (import the layers' ``actions`` modules first)."""
    return sorted(_REGISTRY.values(), key=lambda known: known.name)


def parse_detail(model: type[D], detail: dict[str, Any], *, seq: int, action: str) -> D:
    """Validate one entry's detail against its model; a mismatch is a corrupt case."""
    try:
        return model.model_validate(detail)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "detail"
        raise CaseCorruptError(
            f"custody entry {seq} ({action}) has a detail this version cannot read "
            f"({where}: {first['msg']}); run `cybercase verify` to see the log's state"
        ) from error


def action_schema(known: Action) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one action's detail, as the docs publish it."""
    schema = known.model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://cybercase.invalid/schema/custody/{known.name}.schema.json",
        "title": f"detail of a {known.name} custody entry",
        "x-cybercase-layer": known.layer,
        **schema,
    }
