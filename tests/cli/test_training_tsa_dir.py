"""``training tsa`` never writes its private keys into a case."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli


@pytest.mark.parametrize("where", ["default", "inside"])
def test_the_classroom_tsa_refuses_a_folder_inside_a_case(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    assert cli("key", "new", "--name", "Trainer").code == 0
    case = tmp_path / "WL-1"
    assert cli("init", case, "--id", "WL-1", "--title", "t", "--agency", "a").code == 0
    before = sorted(p.relative_to(case) for p in case.rglob("*"))
    monkeypatch.chdir(case if where == "default" else tmp_path)
    args = [] if where == "default" else ["--dir", case / "keys" / "tsa"]
    refused = cli("training", "tsa", "--port", "0", *args)
    assert refused.code == 2
    [line] = refused.stderr.splitlines()
    assert f"is inside the case {case}" in line and "private keys" in line
    assert sorted(p.relative_to(case) for p in case.rglob("*")) == before
