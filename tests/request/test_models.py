"""``request.json``: the published schema, strictness, and a round trip (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cybercase.request.models import (
    Addressee,
    Authority,
    DataSought,
    DeadlinePolicy,
    Grounds,
    Identifier,
    Officer,
    RequestRecord,
    record_bytes,
    request_schema,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "request.schema.json"

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "" and all(ord(c) >= 32 or c in "\n\t" for c in s))


def test_published_schema_is_the_models_schema() -> None:
    published = json.loads(DOCS.read_text(encoding="utf-8"))
    assert published == request_schema(), (
        "docs/request.schema.json is stale: regenerate it (see docs/requests.md)"
    )
    officer = published["$defs"]["Officer"]["properties"]["badge"]
    assert officer["description"] == "Badge or warrant-card number."


def _record(**changes: object) -> RequestRecord:
    values: dict[str, object] = {
        "id": "R0001",
        "case_id": "WL-1",
        "type": "preservation",
        "created": "2026-03-01T09:00:00.000000Z",
        "language": "en",
        "addressee": Addressee(platform="p", name="P", legal_entity="P Ltd", channel="le@p"),
        "authority": Authority(agency="Unit"),
        "officer": Officer(name="A", badge="1", email="a@unit", phone="+1"),
        "targets": [Identifier(kind="url", value="https://p.example/x")],
        "data": DataSought(categories=["subscriber"]),
        "grounds": Grounds(follow_up="production-order"),
        "deadlines": DeadlinePolicy(
            preservation_days=90, extension_days=90, extension_notice_days=7
        ),
        "tool": "cybercase test",
    }
    values.update(changes)
    return RequestRecord.model_validate(
        {k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in values.items()}
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "R1"},
        {"id": "E0001"},
        {"type": "subpoena"},
        {"created": "2026-03-01 09:00"},
        {"targets": []},
        {"unexpected": 1},
        {"data": {"categories": ["passwords"]}},
        {"data": {"date_from": "01/02/2026"}},
        {"officer": {"name": " ", "badge": "1", "email": "e", "phone": "p"}},
        {"targets": [{"kind": "url", "value": "a\x07b"}]},
    ],
)
def test_record_refuses_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _record(**changes)


@settings(max_examples=60, deadline=None)
@given(
    summary=text,
    values=st.lists(text, min_size=1, max_size=5),
    badge=text,
    categories=st.lists(st.sampled_from(["subscriber", "traffic", "content"]), unique=True),
    notify=st.booleans(),
)
def test_record_round_trips_through_its_bytes(
    summary: str, values: list[str], badge: str, categories: list[str], notify: bool
) -> None:
    record = _record(
        grounds=Grounds(summary=summary, notify_user=notify),
        targets=[Identifier(kind="account", value=v) for v in values],
        officer=Officer(name="A", badge=badge, email="a@unit", phone="+1"),
        data=DataSought(categories=categories),  # type: ignore[arg-type]
    )
    data = record_bytes(record)
    assert data.endswith(b"\n") and data.count(b"\n") > 10
    assert RequestRecord.model_validate_json(data) == record
    assert record_bytes(RequestRecord.model_validate_json(data)) == data
