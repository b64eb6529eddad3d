"""The watch feature's custody vocabulary writes the bytes it always wrote."""

from __future__ import annotations

from cybercase.evidence.details import registered_actions
from cybercase.monitor import actions
from cybercase.monitor.models import (
    CaptureFacts,
    Change,
    Comparison,
    RunFinished,
    RunStarted,
    WatchAdded,
    WatchRemoved,
)


def test_details_keep_every_field_null_included() -> None:
    added = WatchAdded(url="http://127.0.0.1/l/1", every_seconds=3600)
    assert added.to_detail() == {
        "url": "http://127.0.0.1/l/1",
        "every_seconds": 3600,
        "until": None,
        "browser": True,
        "note": None,
    }
    assert WatchRemoved(url="u").to_detail() == {"url": "u", "reason": None}
    started = RunStarted(run="watch-1", urls=["u"], reason="due")
    assert started.to_detail() == {"run": "watch-1", "urls": ["u"], "reason": "due"}
    finished = RunFinished(run="r", captured=2, compared=2, changed=1, gone=0, failed=0)
    assert finished.to_detail() == finished.model_dump()


def test_a_comparison_leaves_defaults_out_but_names_its_format() -> None:
    facts = CaptureFacts(
        item="E0002",
        started="2026-12-03T10:00:00Z",
        outcome="captured",
        status=200,
        final_url=None,
        payload_sha256=None,
    )
    unchanged = Comparison(
        url="u", current="E0002", previous="E0001", verdict="unchanged", facts=facts
    )
    detail = unchanged.to_detail()
    assert detail["format"] == "cybercase-comparison/1"
    assert "changes" not in detail and "text_diff" not in detail
    assert Comparison.model_validate(detail) == unchanged
    changed = unchanged.model_copy(
        update={"verdict": "changed", "changes": [Change(field="price", summary="p")]}
    )
    assert changed.to_detail()["changes"] == [{"field": "price", "summary": "p"}]


def test_the_actions_are_registered_with_their_models() -> None:
    known = {a.name: a.model for a in registered_actions()}
    assert known[actions.WATCH_ADDED] is WatchAdded
    assert known[actions.ITEM_COMPARED] is Comparison
    assert known[actions.WATCH_RUN_FINISHED] is RunFinished


def test_comparisons_are_read_when_asked_for_and_a_bad_one_is_dropped() -> None:
    from cybercase.evidence import CustodyEntry
    from cybercase.monitor.state import Comparisons

    facts = CaptureFacts(
        item="E0002",
        started="2026-12-03T10:00:00Z",
        outcome="captured",
        status=200,
        final_url=None,
        payload_sha256=None,
    )
    good = Comparison(url="u", current="E0002", previous="E0001", verdict="unchanged", facts=facts)

    def entry(seq: int, detail: dict[str, object], items: list[str]) -> CustodyEntry:
        raw = {
            "seq": seq,
            "at": "2026-12-03T10:00:01Z",
            "actor": {"name": "A", "key": "0" * 64},
            "action": actions.ITEM_COMPARED,
            "items": items,
            "detail": detail,
            "prev": None,
            "hash": "sha256:" + "0" * 64,
            "sig": "0" * 128,
        }
        return CustodyEntry.from_raw(raw)

    found = Comparisons()
    found.note(entry(1, good.to_detail(), ["E0002", "E0001"]))
    found.note(entry(2, {"current": "E0003", "verdict": "no such verdict"}, ["E0003"]))
    found.note(entry(3, {"verdict": "unchanged"}, ["E0004"]))
    assert "E0002" in found and "E0003" in found and len(found) == 2
    assert found["E0002"] == good
    assert found.get("E0003") is None
    assert "E0003" not in found
    assert found.unreadable == [3, 2]
