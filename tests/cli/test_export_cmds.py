"""``cybercase export`` and ``cybercase verify PACKAGE`` as the contract they are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cybercase.evidence import Case
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def test_export_then_verify_folder_and_zip(cli: Cli, rich_case: Case, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = cli("export", "--case", rich_case.root, "--out", out, "--no-pdf", "--json")
    assert result.code == 0, result.stderr
    data: Any = result.json()
    assert set(data) >= {"package", "path", "tagmanifest", "entry_seq", "files", "items"}
    assert data["tagmanifest"].startswith("sha256:")
    package = Path(data["path"])
    assert package.is_dir() and package.parent == out

    checked = cli("verify", package, "--json")
    assert checked.code == 0, checked.stdout
    report: Any = checked.json()
    assert report["result"] == "passed"
    assert report["case_id"] == "WL-2026-001"
    [timestamps] = [c for c in report["checks"] if c["name"] == "timestamps"]
    assert timestamps["status"] == "passed"

    zipped = cli("export", "--case", rich_case.root, "--out", out, "--zip", "--no-pdf", "--json")
    assert zipped.code == 0, zipped.stderr
    zip_path = Path(zipped.json()["path"])  # type: ignore[index]
    assert zip_path.suffix == ".zip"
    checked = cli("verify", zip_path)
    assert checked.code == 0
    assert "PASSED" in checked.stdout

    log = cli("log", "--case", rich_case.root, "--json").json()
    assert isinstance(log, list)
    assert [e["action"] for e in log][-2:] == ["case.exported", "case.exported"]


def test_verify_reports_a_damaged_package_with_exit_1(
    cli: Cli, rich_case: Case, tmp_path: Path
) -> None:
    result = cli("export", "--case", rich_case.root, "--out", tmp_path, "--no-pdf", "--json")
    package = Path(result.json()["path"])  # type: ignore[index]
    record = next(package.glob("data/1-collection/E0003_*/record.json"))
    record.write_bytes(record.read_bytes() + b" ")
    checked = cli("verify", package)
    assert checked.code == 1
    assert "FAILED" in checked.stdout
    assert "record.json" in checked.stdout


def test_export_human_output_and_items(cli: Cli, rich_case: Case, tmp_path: Path) -> None:
    result = cli(
        "export", "--case", rich_case.root, "--out", tmp_path, "--items", "E0002", "--no-pdf"
    )
    assert result.code == 0, result.stderr
    assert result.stdout.strip().endswith(
        rich_case.meta.id + "_" + result.stdout.split("_")[-1].strip()
    )
    assert "Left out: E0001, E0003, E0004, E0005, E0006, E0007, R0001, R0002." in result.stderr
    assert "cybercase verify" in result.stderr


def test_export_bad_item_is_exit_2(cli: Cli, rich_case: Case, tmp_path: Path) -> None:
    result = cli(
        "export", "--case", rich_case.root, "--out", tmp_path, "--items", "E9999", "--json"
    )
    assert result.code == 2
    error: Any = result.json()
    assert error["error"]["type"] == "NotFoundError"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "tsa"]


def test_export_without_a_case_is_exit_3(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", "--case", tmp_path / "nothing", "--out", tmp_path)
    assert result.code == 3
    assert "no case" in result.stderr
