"""``cybercase add`` with names a real disk holds, and refusals that leave nothing behind."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from cybercase.evidence import Case
from cybercase.evidence.verify import verify_case
from cybercase.report import export_case, verify_package
from tests.conftest import Cli

RAW_NAME = b"seller\xe9chat \xff.txt"
"""Latin-1 bytes and a byte no encoding uses: not UTF-8, yet a valid name on Linux."""


@pytest.fixture
def case_dir(cli: Cli, tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "WL-1"
    made = cli("init", folder, "--id", "WL-1", "--title", "Ivory", "--agency", "KWS")
    assert made.code == 0, made.stderr
    return folder


def objects_of(case_dir: Path) -> list[Path]:
    return sorted(p for p in (case_dir / "objects" / "sha256").rglob("*") if p.is_file())


def test_a_name_that_is_not_utf8_is_recorded_losslessly(
    cli: Cli, case_dir: Path, tmp_path: Path
) -> None:
    raw_path = os.fsencode(tmp_path) + b"/" + RAW_NAME
    with open(raw_path, "wb") as fh:
        fh.write(b"chat export\n")
    added = cli("add", os.fsdecode(raw_path), "-C", case_dir, "--json")
    assert added.code == 0, added.stderr
    rows = added.json()
    assert isinstance(rows, list)
    [row] = rows
    assert row["name"] == "seller\ufffdchat \ufffd.txt"
    case = Case.open(case_dir)
    detail = case.item(row["id"]).detail
    assert detail["original_name"] == row["name"]
    assert unquote_to_bytes(detail["original_name_bytes"]) == RAW_NAME
    assert detail["original_name_bytes"] == "seller%E9chat %FF.txt"
    assert unquote_to_bytes(detail["original_path_bytes"]) == raw_path
    report = verify_case(case_dir)
    assert report.ok and not [f for f in report.findings if f.code == "object.unreferenced"]
    shown = cli("log", "-C", case_dir)
    assert shown.code == 0 and "seller\ufffdchat" in shown.stdout


def test_a_utf8_name_is_recorded_as_it_is(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "écaille de pangolin.txt"
    plain.write_text("x")
    assert cli("add", plain, "-C", case_dir).code == 0
    detail = Case.open(case_dir).item("E0001").detail
    assert detail["original_name"] == plain.name
    assert "original_name_bytes" not in detail and "original_path_bytes" not in detail


def test_the_package_of_a_non_utf8_name_verifies(cli: Cli, case_dir: Path, tmp_path: Path) -> None:
    from cybercase.cli.common import load_signer

    raw_path = os.fsencode(tmp_path) + b"/" + RAW_NAME
    with open(raw_path, "wb") as fh:
        fh.write(b"chat export\n")
    assert cli("add", os.fsdecode(raw_path), "-C", case_dir).code == 0
    result = export_case(Case.open(case_dir), load_signer(), tmp_path / "out", pdf=False)
    assert verify_package(result.path).ok


@pytest.mark.parametrize("refusal", ["not-custodian", "bad-note"])
def test_a_refused_add_leaves_no_object_behind(
    cli: Cli, case_dir: Path, tmp_path: Path, refusal: str
) -> None:
    evidence = tmp_path / "photo.jpg"
    evidence.write_bytes(os.urandom(4096))
    args: list[str | Path] = ["add", evidence, "-C", case_dir]
    if refusal == "not-custodian":
        assert cli("key", "new", "--name", "Stranger").code == 0
        args += ["--key", "Stranger"]
        code, says = 3, "is not a custodian"
    else:
        args += ["--note", os.fsdecode(b"seen by \xff")]
        code, says = 2, "the note is not valid text"
    before = objects_of(case_dir)
    refused = cli(*args)
    assert refused.code == code, refused.stderr
    assert says in refused.stderr
    assert objects_of(case_dir) == before
    assert _sha256(evidence) not in {p.name for p in before}
    assert not list((case_dir / "objects" / "tmp").iterdir())


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
