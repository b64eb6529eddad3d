"""``cybercase key``: making, showing and exporting an investigator key."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import PASSPHRASE, Cli


def test_key_new_show_export(cli: Cli, tmp_path: Path) -> None:
    made = cli("key", "new", "--name", "Amina Okafor", "--email", "a@x.example", "--json")
    assert made.code == 0, made.stderr
    info = made.json()
    assert isinstance(info, dict)
    assert info["default"] is True
    assert info["fingerprint"].startswith("sha256:") and len(info["fingerprint"]) == 71

    shown = cli("key", "show", "--json").json()
    assert isinstance(shown, dict)
    assert shown["fingerprint"] == info["fingerprint"]
    human = cli("key", "show")
    assert "Amina Okafor" in human.stdout and info["fingerprint"] in human.stdout

    exported = tmp_path / "amina.pub"
    assert cli("key", "export", "--out", exported).code == 0
    text = exported.read_text()
    assert "Name: Amina Okafor" in text and "BEGIN PUBLIC KEY" in text
    assert cli("key", "export").stdout == text


def test_short_passphrase_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CYBERCASE_PASSPHRASE", "short")
    result = cli("key", "new", "--name", "X")
    assert result.code == 2
    assert "at least 8 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_passphrase_is_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("key", "new", "--name", "Amina").code == 0
    monkeypatch.setenv("CYBERCASE_PASSPHRASE", "not the passphrase")
    result = cli("init", tmp_path / "c", "--id", "C-1", "--title", "t", "--agency", "a")
    assert result.code == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "wrong passphrase" in lines[0]
    assert not (tmp_path / "c").exists()


def test_no_key_yet_says_what_to_do(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "c", "--id", "C-1", "--title", "t", "--agency", "a")
    assert result.code == 3
    assert "cybercase key new" in result.stderr


def test_no_passphrase_in_a_script_is_a_clear_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CYBERCASE_PASSPHRASE")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    result = cli("key", "new", "--name", "Amina")
    assert result.code == 3
    assert "CYBERCASE_PASSPHRASE" in result.stderr


def test_passphrase_asked_twice_on_a_terminal(isolated_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CYBERCASE_PASSPHRASE"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "cybercase", "key", "new", "--name", "Tty User"],
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    child.expect("New passphrase")
    child.sendline(PASSPHRASE)
    child.expect("Repeat the passphrase")
    child.sendline(PASSPHRASE)
    child.expect("Fingerprint: sha256:")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    mismatch = pexpect.spawn(
        sys.executable,
        ["-m", "cybercase", "key", "new", "--name", "Other"],
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    mismatch.expect("New passphrase")
    mismatch.sendline(PASSPHRASE)
    mismatch.expect("Repeat the passphrase")
    mismatch.sendline(PASSPHRASE + "x")
    mismatch.expect("differ")
    mismatch.expect(pexpect.EOF)
    mismatch.close()
    assert mismatch.exitstatus == 2
