"""The case commands as a contract: exit codes, stdout/stderr, ``--json`` shapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Cli


@pytest.fixture
def case_dir(cli: Cli, tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "WL-1"
    made = cli(
        "init",
        folder,
        "--id",
        "WL-1",
        "--title",
        "Ivory",
        "--agency",
        "KWS",
        "--species",
        "Loxodonta africana",
        "--species",
        "Ceratotherium simum",
        "--json",
    )
    assert made.code == 0, made.stderr
    assert made.json()["case"]["species"] == ["Loxodonta africana", "Ceratotherium simum"]  # type: ignore[index]
    return folder


def test_init_refuses_a_non_empty_folder(cli: Cli, case_dir: Path) -> None:
    again = cli("init", case_dir, "--id", "X", "--title", "t", "--agency", "a")
    assert again.code == 2
    assert "already exists" in again.stderr


def test_init_rejects_a_bad_case_id(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    bad = cli("init", tmp_path / "other", "--id", "../evil", "--title", "t", "--agency", "a")
    assert bad.code == 2
    assert "case id" in bad.stderr
    assert not (tmp_path / "other").exists()


def test_add_show_log_note_status(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    video = tmp_path / "video.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 1000)
    added = cli(
        "add",
        video,
        "--note",
        "saved from a WhatsApp group",
        "--source",
        "WhatsApp",
        "--case",
        case_dir,
        "--json",
    )
    assert added.code == 0, added.stderr
    rows = added.json()
    assert isinstance(rows, list)
    assert rows[0]["id"] == "E0001"
    assert rows[0]["media_type"] == "video/mp4"
    assert rows[0]["size"] == 1012

    shown = cli("show", "E0001", "--case", case_dir, "--json").json()
    assert isinstance(shown, dict)
    assert shown["detail"]["original_name"] == "video.mp4"
    assert shown["detail"]["source"] == "WhatsApp"
    assert shown["artifacts"][0]["digest"] == rows[0]["digest"]
    assert shown["entries"][0]["action"] == "item.imported"

    assert cli("note", "Seller is in two groups", "--item", "E0001", "--case", case_dir).code == 0
    log = cli("log", "--case", case_dir, "--json").json()
    assert isinstance(log, list)
    assert [e["action"] for e in log] == ["case.created", "item.imported", "note.added"]
    assert log[2]["items"] == ["E0001"]

    human = cli("log", "--case", case_dir)
    assert "item.imported" in human.stdout and "Seller is in two groups" in human.stdout

    status = cli("status", "--case", case_dir, "--json").json()
    assert isinstance(status, dict)
    assert status["counts"]["evidence_items"] == 1
    assert status["last_entry"]["action"] == "note.added"
    assert status["problems"] == []


def test_case_found_from_env_and_from_a_subfolder(
    cli: Cli, case_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = case_dir / "objects"
    monkeypatch.chdir(sub)
    assert cli("status", "--json").code == 0
    monkeypatch.chdir(case_dir.parent)
    assert cli("status").code == 3
    monkeypatch.setenv("CYBERCASE_CASE", str(case_dir))
    assert cli("status", "--json").json()["case"]["id"] == "WL-1"  # type: ignore[index]


def test_bad_input_changes_nothing(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    log = case_dir / "custody.jsonl"
    before = log.read_bytes()
    good = tmp_path / "good.txt"
    good.write_text("fine")
    missing = cli("add", good, tmp_path / "nope.txt", "--case", case_dir)
    assert missing.code == 2
    assert "file not found" in missing.stderr
    unknown = cli("show", "E0042", "--case", case_dir, "--json")
    assert unknown.code == 2
    assert unknown.json()["error"]["type"] == "NotFoundError"  # type: ignore[index]
    assert cli("note", "x", "--item", "E0042", "--case", case_dir).code == 2
    assert cli("note", "   ", "--case", case_dir).code == 2
    assert log.read_bytes() == before


def test_verify_logs_the_run_and_fails_on_tamper(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("evidence")
    assert cli("add", doc, "--case", case_dir).code == 0
    ok = cli("verify", "--case", case_dir, "--json")
    assert ok.code == 0
    data = ok.json()
    assert isinstance(data, dict)
    assert data["result"] == "passed" and data["recorded_seq"] == 3
    assert cli("log", "--case", case_dir, "--json").json()[-1]["action"] == "case.verified"  # type: ignore[index]

    obj = next(p for p in (case_dir / "objects" / "sha256").rglob("*") if p.is_file())
    obj.chmod(0o644)
    obj.write_bytes(b"EVIDENCE")
    bad = cli("verify", "--case", case_dir, "--no-log")
    assert bad.code == 1
    assert "object.corrupt" not in bad.stdout  # people get sentences, scripts get codes
    assert "E0001 doc.txt" in bad.stdout and "content changed" in bad.stdout
    assert "FAILED" in bad.stdout
    as_json = cli("verify", "--case", case_dir, "--json", "--no-log").json()
    assert isinstance(as_json, dict)
    assert as_json["result"] == "failed"
    assert as_json["findings"][0]["code"] == "object.corrupt"


def test_custodian_add_from_an_exported_key(
    cli: Cli, case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_home = os.environ["CYBERCASE_HOME"]
    colleague_home = tmp_path / "colleague-home"
    monkeypatch.setenv("CYBERCASE_HOME", str(colleague_home))
    assert cli("key", "new", "--name", "Juma Mwangi").code == 0
    pub = tmp_path / "juma.pub"
    assert cli("key", "export", "--out", pub).code == 0
    # The colleague is not a custodian yet.
    refused = cli("note", "hello", "--case", case_dir)
    assert refused.code == 3 and "not a custodian" in refused.stderr
    monkeypatch.setenv("CYBERCASE_HOME", lead_home)
    added = cli("custodian", "add", pub, "--case", case_dir, "--json")
    assert added.code == 0, added.stderr
    listed = cli("custodian", "list", "--case", case_dir, "--json").json()
    assert isinstance(listed, list)
    assert [c["name"] for c in listed] == ["Amina Okafor", "Juma Mwangi"]
    monkeypatch.setenv("CYBERCASE_HOME", str(colleague_home))
    assert cli("note", "hello from Juma", "--case", case_dir).code == 0
    assert cli("verify", "--case", case_dir).code == 0


def test_help_teaches_and_errors_have_no_traceback(cli: Cli) -> None:
    top = cli("--help")
    assert top.code == 0
    for command in ("key", "init", "add", "log", "show", "note", "status", "verify", "custodian"):
        assert command in top.stdout
    bad = cli("frobnicate")
    assert bad.code == 2
    assert "Traceback" not in bad.stderr


def test_show_file_hands_out_a_checked_copy_and_refuses_an_altered_one(
    cli: Cli, case_dir: Path, tmp_path: Path
) -> None:
    exhibit = tmp_path / "chat.txt"
    exhibit.write_bytes(b"seller: 3 bangles, 450 USD, ship by sea\n" * 100)
    assert cli("add", exhibit, "--case", case_dir).code == 0
    printed = cli("show", "E0001", "--file", "chat.txt", "--case", case_dir)
    assert printed.code == 0, printed.stderr
    assert printed.stdout.encode() == exhibit.read_bytes()
    copy = tmp_path / "out" / "copy.txt"
    copy.parent.mkdir()
    saved = cli("show", "E0001", "-f", "original", "-o", copy, "--case", case_dir)
    assert saved.code == 0, saved.stderr
    assert copy.read_bytes() == exhibit.read_bytes()
    again = cli("show", "E0001", "-f", "chat.txt", "-o", copy, "--case", case_dir)
    assert again.code == 2 and "already exists" in again.stderr
    unknown = cli("show", "E0001", "-f", "nope.txt", "--case", case_dir)
    assert unknown.code == 2 and "its files: chat.txt" in unknown.stderr

    shown = cli("show", "E0001", "--case", case_dir, "--json").json()
    assert isinstance(shown, dict)
    digest = shown["artifacts"][0]["digest"].split(":")[1]
    stored = case_dir / "objects" / "sha256" / digest[:2] / digest
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[10] ^= 0x01
    stored.write_bytes(bytes(data))
    bad = tmp_path / "out" / "bad.txt"
    refused = cli("show", "E0001", "-f", "chat.txt", "-o", bad, "--case", case_dir)
    assert refused.code == 1
    assert "no longer matches its recorded hash" in refused.stderr
    assert not bad.exists() and list(bad.parent.iterdir()) == [copy]


def test_show_file_out_logs_exactly_one_signed_copy_entry_and_verify_passes(
    cli: Cli, case_dir: Path, tmp_path: Path
) -> None:
    from cybercase.evidence import Case
    from cybercase.evidence.keys import verify_signature
    from cybercase.evidence.log.entry import hash_bytes

    exhibit = tmp_path / "ledger.csv"
    exhibit.write_bytes(b"date,item,price\n2026-01-02,pangolin scales 2kg,900\n")
    assert cli("add", exhibit, "--case", case_dir).code == 0
    before = list(Case.open(case_dir).entries())
    copy = tmp_path / "handed" / "ledger-for-prosecutor.csv"
    copy.parent.mkdir()
    saved = cli("show", "E0001", "-f", "ledger.csv", "-o", copy, "--case", case_dir, "--json")
    assert saved.code == 0, saved.stderr
    assert copy.read_bytes() == exhibit.read_bytes()
    after = list(Case.open(case_dir).entries())
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert entry.action == "artifact.copied" and entry.items == ("E0001",)
    assert saved.json()["entry"] == entry.seq  # type: ignore[index]
    (copied,) = entry.detail["copies"]
    assert copied["name"] == "ledger.csv"
    assert copied["to"] == str(copy.absolute())
    assert copied["digest"] == before[-1].detail["artifacts"][0]["digest"]
    assert entry.actor_name == "Amina Okafor"
    assert entry.computed_hash() == entry.hash
    key = Case.open(case_dir).state.keys[entry.actor_key]
    assert verify_signature(key.public_raw, bytes.fromhex(entry.sig), hash_bytes(entry.hash))
    # Printing to stdout and a refused copy add nothing.
    assert cli("show", "E0001", "-f", "ledger.csv", "--case", case_dir).code == 0
    assert cli("show", "E0001", "-f", "ledger.csv", "-o", copy, "--case", case_dir).code == 2
    assert len(list(Case.open(case_dir).entries())) == len(after)
    verified = cli("verify", "--case", case_dir)
    assert verified.code == 0, verified.stdout + verified.stderr
