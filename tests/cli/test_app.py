"""The one catch point: user errors are one line; a bug is one line, or a traceback on request."""

from __future__ import annotations

from pathlib import Path

import pytest

import cybercase.evidence.status
from cybercase.evidence import Case
from tests.conftest import Cli

SECRET_LOCAL = "hunter2-passphrase-in-a-local"


def _explode(*_args: object, **_kwargs: object) -> None:
    passphrase = SECRET_LOCAL  # a local a pretty traceback with locals would show
    raise RuntimeError(f"boom after {len(passphrase)} characters")


def test_a_bug_is_one_line_without_verbose(
    cli: Cli, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cybercase.evidence.status, "case_status", _explode)
    done = cli("status", "--case", case.root)
    assert done.code == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "internal error" in lines[0] and "RuntimeError: boom" in lines[0]
    assert "--verbose" in lines[0] and "Traceback" not in done.stderr


def test_verbose_shows_the_traceback_never_locals(
    cli: Cli, case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cybercase.evidence.status, "case_status", _explode)
    done = cli("--verbose", "status", "--case", case.root)
    assert done.code == 3
    assert "Traceback (most recent call last)" in done.stderr
    assert "_explode" in done.stderr and "RuntimeError: boom" in done.stderr
    assert SECRET_LOCAL not in done.stderr


def test_user_errors_stay_one_line(cli: Cli, tmp_path: Path) -> None:
    done = cli("--verbose", "status", "--case", tmp_path / "nowhere")
    assert done.code == 3
    assert done.stderr.startswith("error:") and "Traceback" not in done.stderr
