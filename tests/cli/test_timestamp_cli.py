"""``cybercase seal``, ``timestamp`` and the timestamp parts of ``add`` and ``status``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cybercase.evidence import Case
from cybercase.evidence.timestamps import TsaSettings
from cybercase.training.tsa_server import RunningTsa
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def make_files(tmp_path: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = tmp_path / f"screenshot-{n}.png"
        path.write_bytes(b"\x89PNG fake screenshot %d" % n)
        paths.append(path)
    return paths


def test_add_one_file_gets_its_own_token(
    case: Case, tmp_path: Path, tsa_config: TsaSettings, cli: Cli
) -> None:
    run = cli("add", *make_files(tmp_path, 1), "--case", case.root)
    assert run.code == 0, run.stderr
    assert "E0001  sha256:" in run.stdout
    assert "E0001: token from test-tsa, TSA time" in run.stdout
    status = cli("status", "--case", case.root, "--json").json()
    assert isinstance(status, dict)
    assert status["counts"]["item_tokens"] == 1
    assert status["counts"]["seals"] == 0
    assert status["counts"]["awaiting_timestamp"] == 0


def test_add_several_files_gets_one_seal_and_json_says_granted(
    case: Case, tmp_path: Path, tsa: RunningTsa, tsa_config: TsaSettings, cli: Cli
) -> None:
    run = cli("add", *make_files(tmp_path, 3), "--case", case.root, "--json")
    assert run.code == 0, run.stderr
    rows = run.json()
    assert isinstance(rows, list)
    assert [r["timestamp"] for r in rows] == ["granted"] * 3
    assert tsa.requests == 1
    human = cli("status", "--case", case.root)
    assert "seals: 1" in human.stdout
    assert "awaiting timestamp: 0" in human.stdout


def test_seal_with_the_tsa_down_fails_with_the_reason(
    case: Case, tmp_path: Path, tsa: RunningTsa, tsa_config: TsaSettings, cli: Cli
) -> None:
    tsa.stop()
    assert cli("add", *make_files(tmp_path, 2), "--case", case.root).code == 0
    failed = cli("seal", "--case", case.root)
    assert failed.code == 3
    assert "no time-stamping authority gave a token: test-tsa: cannot reach" in failed.stderr
    assert "connection refused" in failed.stderr


def test_seal_then_timestamp_items_and_usage_errors(
    case: Case, tmp_path: Path, tsa_config: TsaSettings, cli: Cli
) -> None:
    from cybercase.evidence import Case as CaseType

    opened = CaseType.open(case.root)
    assert opened.state.last_seq == 1
    assert cli("add", *make_files(tmp_path, 2), "--case", case.root).code == 0
    sealed = cli("seal", "--case", case.root, "--json")
    assert sealed.code == 0, sealed.stderr
    outcome = sealed.json()
    assert isinstance(outcome, dict)
    assert outcome["note"] == "the log is already sealed: nothing new to seal"
    assert cli("note", "more work", "--case", case.root).code == 0
    sealed = cli("seal", "--case", case.root)
    assert sealed.code == 0
    assert "Seal of the custody log: token from test-tsa" in sealed.stdout
    item = cli("timestamp", "E0002", "--case", case.root, "--json")
    assert item.code == 0, item.stderr
    data = item.json()
    assert isinstance(data, dict)
    assert data["granted"][0]["items"] == ["E0002"]
    none = cli("timestamp", "--case", case.root)
    assert none.code == 2
    assert "name the items to timestamp, or use --pending" in none.stderr
    both = cli("timestamp", "E0001", "--pending", "--case", case.root)
    assert both.code == 2
    unknown = cli("timestamp", "E0099", "--case", case.root)
    assert unknown.code == 2 and "no item E0099" in unknown.stderr
    nothing = cli("timestamp", "--pending", "--case", case.root)
    assert nothing.code == 0
    assert "No item is awaiting a timestamp." in nothing.stderr


def test_seal_without_configuration_says_what_to_do(case: Case, cli: Cli) -> None:
    run = cli("seal", "--case", case.root)
    assert run.code == 3
    assert "no time-stamping authority is configured" in run.stderr
    assert "docs/timestamps.md" in run.stderr


def test_bad_tsa_configuration_is_a_usage_error(
    case: Case, tmp_path: Path, isolated_home: Path, cli: Cli
) -> None:
    (isolated_home / "config.toml").write_text('[tsa]\nitem_tokens = "sometimes"\n')
    run = cli("add", *make_files(tmp_path, 1), "--case", case.root)
    assert run.code == 2
    assert "configuration [tsa] item_tokens" in run.stderr
