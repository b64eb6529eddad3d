"""A damaged custody log as a new user meets it: every message agrees, and nothing says 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from cybercase.evidence import Case
from cybercase.evidence.verify import verify_case
from tests.conftest import Cli
from tests.fixtures.servers import LocalServer


@pytest.fixture
def case_dir(cli: Cli, tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "WL-1"
    assert cli("init", folder, "--id", "WL-1", "--title", "Ivory", "--agency", "KWS").code == 0
    while Case.open(folder).state.last_seq < 10:
        assert cli("note", "Seller answered on the chat", "-C", folder).code == 0
    return folder


def damage_last_line(case_dir: Path) -> None:
    """Cut entry 10 in the middle of its line (custody.head still names it)."""
    log = case_dir / "custody.jsonl"
    data = log.read_bytes()
    log.write_bytes(data[: len(data) - 40])


def test_status_of_a_damaged_log_exits_1_and_says_it_in_full(
    cli: Cli, case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damage_last_line(case_dir)
    monkeypatch.setenv("COLUMNS", "60")
    shown = cli("status", "-C", case_dir)
    assert shown.code == 1
    problem = (
        "the custody log's last line is damaged: it held entry 10, which was committed; "
        "nothing more can be added: run 'cybercase verify', then restore custody.jsonl "
        "from a copy"
    )
    assert problem in " ".join(shown.stdout.split())
    assert "set aside" not in shown.stdout and "never committed" not in shown.stdout
    assert "No problems seen" not in shown.stdout
    as_json = cli("status", "-C", case_dir, "--json")
    assert as_json.code == 1
    assert as_json.json()["problems"] == [problem]  # type: ignore[index]


def test_verify_does_not_call_a_committed_entry_an_interrupted_write(case_dir: Path) -> None:
    damage_last_line(case_dir)
    report = verify_case(case_dir)
    assert not report.ok
    lines = [f.line() for f in report.findings]
    assert not [line for line in lines if "never committed" in line], lines
    [cut] = [f for f in report.findings if f.code == "head.truncated"]
    assert "entry 10 was committed" in cut.line() and "damaged" in cut.line()


def test_an_interrupted_write_is_still_called_one(cli: Cli, case_dir: Path) -> None:
    with (case_dir / "custody.jsonl").open("ab") as fh:
        fh.write(b'{"seq": 11, "at": "2026-')
    shown = cli("status", "-C", case_dir, "--json")
    assert shown.code == 1
    [problem] = shown.json()["problems"]  # type: ignore[index]
    assert "interrupted write (never committed)" in problem and "set aside" in problem
    assert cli("note", "after the crash", "-C", case_dir).code == 0
    assert cli("status", "-C", case_dir).code == 0


@pytest.mark.browser
def test_capture_into_a_damaged_log_refuses_before_starting_the_browser(
    cli: Cli, case_dir: Path, http_server: LocalServer, browser_path: Path
) -> None:
    damage_last_line(case_dir)
    refused = cli("capture", http_server.url("/page"), "-C", case_dir, "--browser", browser_path)
    assert refused.code == 3
    assert "Rendering pages" not in refused.stderr
    [line] = refused.stderr.splitlines()
    assert line.startswith("error: the custody log ends at entry 9 with a damaged line")
    assert Case.open(case_dir).state.last_seq == 9


def test_status_json_keys_are_names_not_sentences(cli: Cli, case_dir: Path) -> None:
    assert cli("verify", "-C", case_dir).code == 0
    status = cli("status", "-C", case_dir, "--json").json()
    assert isinstance(status, dict)
    for key in [*status, *status["counts"], *(status["last_entry"] or {})]:
        assert " " not in key and "(" not in key, key
    verified = status["last_verified"]
    assert set(verified) == {"at", "result"} and verified["result"] == "passed"
    assert verified["at"].endswith("Z")
