"""The evidence layer's custody vocabulary writes exactly what the hand-built dicts wrote.

Each model's ``to_detail()`` is compared with the dict the code of the previous version
built (written out literally here, ``null`` values included), and a log written by
version 0.1 reads through the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cybercase.evidence import actions as ev
from cybercase.evidence.details import Detail, registered_actions
from cybercase.evidence.file_names import name_fields
from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.models import Artifact

OLD_CASE = Path(__file__).parent / "verify" / "data" / "case-written-by-0.1"
DIGEST = "sha256:" + "ab" * 32
FP = "cd" * 32
ARTIFACT = Artifact(role="original", name="a.html", digest=DIGEST, size=3, media_type="text/html")


def _custodian(email: str | None) -> dict[str, Any]:
    return {"name": "Ann", "email": email, "fingerprint": FP, "public_key": "AAAA"}


def _key(email: str | None) -> ev.CustodianKey:
    return ev.CustodianKey(name="Ann", email=email, fingerprint=FP, public_key="AAAA")


CASES: list[tuple[Detail, dict[str, Any]]] = [
    (
        ev.CaseCreated(
            case={"id": "C1", "jurisdiction": None, "species": []},
            case_json=DIGEST,
            custodian=_key(None),
            custody_head="signed",
        ),
        {
            "case": {"id": "C1", "jurisdiction": None, "species": []},
            "case_json": DIGEST,
            "custodian": _custodian(None),
            "custody_head": "signed",
        },
    ),
    (
        ev.CaseCreated(case={"id": "C1"}, case_json=DIGEST, custodian=_key("a@b.c")),
        {"case": {"id": "C1"}, "case_json": DIGEST, "custodian": _custodian("a@b.c")},
    ),
    (ev.CustodianAdded(custodian=_key(None)), {"custodian": _custodian(None)}),
    (
        ev.ItemImported(
            **name_fields("original_name", "a.html"),
            **name_fields("original_path", "/x/a.html"),
            original_mtime="2026-01-01T00:00:00.000000Z",
            artifacts=[ARTIFACT],
        ),
        {
            "kind": "file",
            "original_name": "a.html",
            "original_path": "/x/a.html",
            "original_mtime": "2026-01-01T00:00:00.000000Z",
            "artifacts": [ARTIFACT.model_dump()],
        },
    ),
    (
        ev.ItemImported(
            **name_fields("original_name", "b\udce9.txt"),
            **name_fields("original_path", "/x/b\udce9.txt"),
            original_mtime="t",
            artifacts=[ARTIFACT],
            source="seized laptop",
            note="n",
            request="R0001",
        ),
        {
            "kind": "file",
            "original_name": "b\ufffd.txt",
            "original_name_bytes": "b%E9.txt",
            "original_path": "/x/b\ufffd.txt",
            "original_path_bytes": "/x/b%E9.txt",
            "original_mtime": "t",
            "artifacts": [ARTIFACT.model_dump()],
            "source": "seized laptop",
            "note": "n",
            "request": "R0001",
        },
    ),
    (ev.NoteAdded(text="seen"), {"text": "seen"}),
    (
        ev.LogRecovered(reason="r", after_seq=4, artifacts=[ARTIFACT]),
        {"reason": "r", "after_seq": 4, "artifacts": [ARTIFACT.model_dump()]},
    ),
    (
        ev.LeftoversRemoved(
            reason="r", where="/c", count=1, bytes=9, removed=[ev.RemovedFile(name="x", bytes=9)]
        ),
        {
            "reason": "r",
            "where": "/c",
            "count": 1,
            "bytes": 9,
            "removed": [{"name": "x", "bytes": 9}],
        },
    ),
    (
        ev.LeftoversRemoved(reason="r", where="/c", count=201, bytes=0, removed=[], not_listed=201),
        {"reason": "r", "where": "/c", "count": 201, "bytes": 0, "removed": [], "not_listed": 201},
    ),
    (
        ev.CaseVerified(
            result="failed", errors=1, warnings=0, stats={"entries": 3}, problems=["x"]
        ),
        {
            "result": "failed",
            "errors": 1,
            "warnings": 0,
            "stats": {"entries": 3},
            "problems": ["x"],
        },
    ),
    (
        ev.ArtifactCopied(
            copies=[ev.CopiedFile(name="a", role="warc", digest=DIGEST, size=1, to="/o/a")],
            host="h",
        ),
        {
            "copies": [{"name": "a", "role": "warc", "digest": DIGEST, "size": 1, "to": "/o/a"}],
            "host": "h",
        },
    ),
    (
        ev.ArtifactCopied(copies=[], host="h", purpose="for the court"),
        {"copies": [], "host": "h", "purpose": "for the court"},
    ),
    (
        ev.TimestampFailed(
            reason="r", attempts=[ev.FailedAttempt(authority="a", url="u", at="t", error="e")]
        ),
        {"reason": "r", "attempts": [{"authority": "a", "url": "u", "at": "t", "error": "e"}]},
    ),
]


@pytest.mark.parametrize(("model", "old"), CASES, ids=[type(m).__name__ for m, _ in CASES])
def test_a_model_writes_what_the_hand_built_dict_wrote(model: Detail, old: dict[str, Any]) -> None:
    assert model.to_detail() == old
    assert json.dumps(model.to_detail(), sort_keys=True) == json.dumps(old, sort_keys=True)
    assert type(model).model_validate(old) == model


def test_every_evidence_action_is_registered() -> None:
    names = {a.name for a in registered_actions() if a.layer == "evidence"}
    assert names == {
        ev.CASE_CREATED,
        ev.CUSTODIAN_ADDED,
        ev.ITEM_IMPORTED,
        ev.NOTE_ADDED,
        ev.LOG_RECOVERED,
        ev.LEFTOVERS_REMOVED,
        ev.CASE_VERIFIED,
        ev.ARTIFACT_COPIED,
        ev.TIMESTAMP_GRANTED,
        ev.TIMESTAMP_FAILED,
    }


def test_a_log_written_by_0_1_reads_through_the_models() -> None:
    models = {a.name: a.model for a in registered_actions()}
    lines = (OLD_CASE / "custody.jsonl").read_text().splitlines()
    assert lines
    for line in lines:
        entry = CustodyEntry.from_raw(json.loads(line))
        detail = entry.detail_as(models[entry.action])
        assert detail.to_detail() == entry.detail
