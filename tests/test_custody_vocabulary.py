"""The custody log's vocabulary is published: one JSON Schema per action, in docs/schema/custody.

Every layer's ``actions`` module is found by walking the package, so a new action is
published (or this test fails) without anyone remembering a list. Regenerate with
``CYBERCASE_WRITE_SCHEMAS=1 python -m pytest tests/test_custody_vocabulary.py``.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from pathlib import Path

from jsonschema import Draft202012Validator

import cybercase
from cybercase.evidence.details import Action, action_schema, registered_actions

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "schema" / "custody"
INDEX = ROOT / "docs" / "custody-actions.md"


def _all_actions() -> list[Action]:
    for module in pkgutil.walk_packages(cybercase.__path__, "cybercase."):
        if module.name.endswith(".actions"):
            importlib.import_module(module.name)
    return registered_actions()


def _schema_text(known: Action) -> str:
    return json.dumps(action_schema(known), indent=2, ensure_ascii=False) + "\n"


def _index_text(actions: list[Action]) -> str:
    rows = "\n".join(
        f"| `{a.name}` | {a.layer} | `{a.model.__module__}.{a.model.__name__}` | "
        f"[schema](schema/custody/{a.name}.schema.json) |"
        for a in actions
    )
    return (
        "# Custody actions\n\n"
        "Every entry of `custody.jsonl` names an `action`; its `detail` is the JSON object\n"
        "that action's model describes. The models are frozen and refuse unknown fields, so a\n"
        "detail this version cannot read is reported, never half understood. Each layer names\n"
        "its actions in its `actions` module; this page and the schemas beside it are\n"
        "generated from them (tests/test_custody_vocabulary.py checks they agree).\n\n"
        "| Action | Layer | Model | JSON Schema |\n|---|---|---|---|\n" + rows + "\n"
    )


def test_every_action_is_published_with_its_schema() -> None:
    actions = _all_actions()
    assert len(actions) >= 10
    expected = {f"{a.name}.schema.json": _schema_text(a) for a in actions}
    if os.environ.get("CYBERCASE_WRITE_SCHEMAS"):
        FOLDER.mkdir(parents=True, exist_ok=True)
        for stale in FOLDER.glob("*.schema.json"):
            stale.unlink()
        for name, text in expected.items():
            (FOLDER / name).write_text(text, encoding="utf-8")
        INDEX.write_text(_index_text(actions), encoding="utf-8")
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.schema.json")}
    assert on_disk == expected, "regenerate: CYBERCASE_WRITE_SCHEMAS=1 pytest " + __file__
    assert INDEX.read_text(encoding="utf-8") == _index_text(actions)
    for text in expected.values():
        Draft202012Validator.check_schema(json.loads(text))


def test_the_core_actions_are_all_named() -> None:
    names = {a.name for a in _all_actions()}
    for required in ("case.created", "item.acquired", "timestamp.granted", "item.compared"):
        assert required in names
