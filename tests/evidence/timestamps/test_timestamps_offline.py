"""No TSA answering never fails an add: the item stays pending until ``timestamp --pending``."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from cybercase.clock import FixedClock, SystemClock
from cybercase.errors import TimestampError
from cybercase.evidence import Case, Signer
from cybercase.evidence.actions import TIMESTAMP_FAILED
from cybercase.evidence.timestamps.grant import (
    add_files,
    pending_items,
    timestamp_new_items,
    timestamp_pending,
)
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.training.tsa_pki import TsaPki
from cybercase.training.tsa_server import RunningTsa, run_test_tsa
from tests.conftest import CliResult
from tests.fixtures.tsa import write_config


def evidence_file(tmp_path: Path, name: str = "advert.html") -> Path:
    path = tmp_path / name
    path.write_text("<h1>Live African grey parrots, export papers available</h1>")
    return path


def test_tsa_down_add_succeeds_pending_then_completed_and_gap_reported(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    tsa: RunningTsa,
    tsa_pki: TsaPki,
    isolated_home: Path,
    cli: Callable[..., CliResult],
) -> None:
    write_config(isolated_home, tsa.config_toml())
    tsa.stop()
    run = cli("add", evidence_file(tmp_path), "--case", case.root, "--json")
    assert run.code == 0, run.stderr
    rows = run.json()
    assert isinstance(rows, list)
    assert rows[0]["id"] == "E0001" and rows[0]["timestamp"] == "pending"
    case.refresh()
    [failed] = [e for e in case.entries() if e.action == TIMESTAMP_FAILED]
    assert failed.items == ("E0001",)
    assert "connection refused" in failed.detail["attempts"][0]["error"]
    assert pending_items(case) == ["E0001"]
    status = cli("status", "--case", case.root, "--json").json()
    assert isinstance(status, dict)
    assert status["counts"]["awaiting_timestamp"] == 1

    # Two days later a TSA answers again.
    later = FixedClock(SystemClock().now() + timedelta(days=2, hours=3, seconds=30))
    with run_test_tsa(tmp_path / "tsa2", pki=tsa_pki, clock=later) as again:
        write_config(isolated_home, again.config_toml())
        done = cli("timestamp", "--pending", "--case", case.root, "--json")
        assert done.code == 0, done.stderr
    outcome = done.json()
    assert isinstance(outcome, dict)
    assert [g["items"] for g in outcome["granted"]] == [["E0001"]]
    assert outcome["pending"] == []
    case.refresh()
    assert pending_items(case) == []

    run = cli("verify", "--case", case.root, "--json", "--no-log")
    assert run.code == 0, run.stdout
    report = run.json()
    assert isinstance(report, dict)
    gaps = [f for f in report["findings"] if f["code"] == "timestamp.gap"]
    assert len(gaps) == 1
    assert gaps[0]["severity"] == "warning"
    assert "E0001 was recorded" in gaps[0]["message"]
    assert "2 d 3 h" in gaps[0]["message"]


def test_no_tsa_configured_items_stay_pending_and_nothing_is_logged(
    case: Case, signer: Signer, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    result = add_files(case, signer, [evidence_file(tmp_path)], TsaSettings())
    assert result.timestamps.pending == ["E0001"]
    assert result.timestamps.round_trips == 0
    assert result.timestamps.note == "no time-stamping authority is configured"
    assert not [e for e in case.entries() if e.action == TIMESTAMP_FAILED]
    run = cli("timestamp", "--pending", "--case", case.root)
    assert run.code == 3
    assert "no time-stamping authority is configured" in run.stderr
    verify = cli("verify", "--case", case.root, "--json", "--no-log").json()
    assert isinstance(verify, dict)
    [check] = [c for c in verify["checks"] if c["name"] == "timestamps"]
    assert check["status"] == "warning"
    assert "1 item(s) awaiting a timestamp" in check["summary"]


def test_fallback_to_the_next_authority(
    case: Case, signer: Signer, tmp_path: Path, tsa: RunningTsa, tsa_pki: TsaPki
) -> None:
    with run_test_tsa(tmp_path / "down", pki=tsa_pki) as down:
        down.stop()
        text = down.config_toml("first") + tsa.config_toml("second")
    settings = TsaSettings.from_config(tomllib.loads(text))
    result = add_files(case, signer, [evidence_file(tmp_path)], settings)
    [granted] = result.timestamps.granted
    assert granted.tsa == "second"
    assert [a.authority for a in result.timestamps.attempts] == ["first"]
    assert result.timestamps.round_trips == 2
    assert not [e for e in case.entries() if e.action == TIMESTAMP_FAILED]


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("http-error", "answered HTTP 503"),
        ("garbage", "not a readable RFC 3161 timestamp response"),
        ("reject", "refused the request (status 2: test TSA told to refuse)"),
    ],
)
def test_a_misbehaving_tsa_leaves_the_item_pending_with_the_reason(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    tsa: RunningTsa,
    tsa_settings: TsaSettings,
    behaviour: str,
    message: str,
) -> None:
    tsa.set_behaviour(behaviour)  # type: ignore[arg-type]
    result = add_files(case, signer, [evidence_file(tmp_path)], tsa_settings)
    assert result.timestamps.pending == ["E0001"]
    assert message in result.timestamps.attempts[0].error
    with pytest.raises(TimestampError, match="no time-stamping authority gave a token"):
        timestamp_pending(case, signer, tsa_settings)
    tsa.set_behaviour("grant")
    completed = timestamp_pending(case, signer, tsa_settings)
    assert [g.items for g in completed.granted] == [("E0001",)]


def test_a_batch_left_pending_is_completed_by_one_seal(
    case: Case, signer: Signer, tmp_path: Path, tsa: RunningTsa, tsa_settings: TsaSettings
) -> None:
    tsa.stop()
    files = [evidence_file(tmp_path, f"page-{n}.html") for n in range(4)]
    views = case.add_files(signer, files)
    outcome = timestamp_new_items(case, signer, [v.id for v in views], tsa_settings)
    assert outcome.pending == ["E0001", "E0002", "E0003", "E0004"]
    assert outcome.round_trips == 1
    with run_test_tsa(tmp_path / "back", pki=tsa.authority.pki) as back:
        import tomllib as toml

        settings = TsaSettings.from_config(toml.loads(back.config_toml()))
        done = timestamp_pending(case, signer, settings)
        assert back.requests == 1
    assert [g.kind for g in done.granted] == ["seal"]
    assert done.pending == []


def test_policy_mismatch_is_refused_and_stays_pending(
    case: Case, signer: Signer, tmp_path: Path, tsa: RunningTsa
) -> None:
    text = tsa.config_toml(policy="1.2.3.4.99")
    settings = TsaSettings.from_config(tomllib.loads(text))
    result = add_files(case, signer, [evidence_file(tmp_path)], settings)
    assert result.timestamps.pending == ["E0001"]
    assert "policy 1.2.3.4.99 is not offered" in result.timestamps.attempts[0].error
