"""The holes a torture run found in exported packages (issue 22, points 4 and 6-9)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import zipfile
from pathlib import Path

import bagit
import pytest

from cybercase.evidence import Case, Signer
from cybercase.report import export_case, verify_package
from cybercase.report.standalone import check_custody
from cybercase.report.verify.unzip import unzip
from tests.conftest import Cli

CHECKER = "data/4-custody/check_custody.py"


def rebag(root: Path) -> None:
    bagit.Bag(str(root)).save(manifests=True)


def codes(root: Path) -> list[str]:
    return [f.code for f in verify_package(root).errors]


def checker_problems(root: Path) -> list[str]:
    with contextlib.redirect_stdout(io.StringIO()):
        return check_custody.check(root)


@pytest.fixture
def small_package(case: Case, signer: Signer, tmp_path: Path) -> Path:
    """Two items holding the same bytes, exported without a PDF."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("first.png", "second.png"):
        (sources / name).write_bytes(b"\x89PNG same bytes in two items")
    case.add_files(signer, sorted(sources.iterdir()))
    package = export_case(case, signer, tmp_path / "out", pdf=False).path
    assert verify_package(package).ok
    assert checker_problems(package) == []
    return package


def test_a_file_whose_bytes_exist_elsewhere_must_be_at_its_own_path(
    small_package: Path,
) -> None:
    [first] = small_package.glob("data/1-collection/E0001_*/first.png")
    assert next(small_package.glob("data/1-collection/E0002_*/second.png")).is_file()
    first.unlink()
    rebag(small_package)
    report = verify_package(small_package)
    missing = [f for f in report.errors if f.code == "object.missing"]
    assert missing and "E0001" in missing[0].where, [f.line() for f in report.findings]
    assert any("first.png is missing" in p for p in checker_problems(small_package))


@pytest.mark.parametrize(
    "relative",
    [
        "index.html",
        "VERIFY.txt",
        "bag-info.txt",
        "data/case.jsonld",
        "data/4-custody/custody.html",
        "data/3-preservation/verification.json",
        "data/3-preservation/hashes.csv",
    ],
)
def test_an_unsigned_file_rewritten_and_rebagged_fails(small_package: Path, relative: str) -> None:
    path = small_package / relative
    data = path.read_bytes()
    if relative == "bag-info.txt":
        path.write_bytes(data.replace(b"Contact-Name: ", b"Contact-Name: Forged "))
    else:
        path.write_bytes(data + b"\nrewritten\n")
    rebag(small_package)
    assert "export.tag-signature" in codes(small_package)
    assert any("tagmanifest-sha256.txt.sig" in p for p in checker_problems(small_package))


def test_a_checker_that_always_passes_is_caught(small_package: Path) -> None:
    (small_package / CHECKER).write_text('print("PASSED")\n')
    rebag(small_package)
    assert {"export.tag-signature", "export.checker"} <= set(codes(small_package))
    assert any(CHECKER in p for p in checker_problems(small_package))
    verify_txt = (small_package / "VERIFY.txt").read_text()
    assert "BEFORE RUNNING IT" in verify_txt and "sha256sum data/4-custody/check_custody.py" in (
        verify_txt
    )


def test_a_link_out_of_the_package_is_refused_before_reading(
    small_package: Path, tmp_path: Path
) -> None:
    [first] = small_package.glob("data/1-collection/E0001_*/first.png")
    outside = tmp_path / "outside.png"
    shutil.copyfile(first, outside)
    first.unlink()
    first.symlink_to(outside)
    report = verify_package(small_package)
    assert [f.code for f in report.errors] == ["package.symlink"]
    assert [c.name for c in report.checks] == ["package"]  # nothing else was read
    problems = checker_problems(small_package)
    assert any("symbolic link" in p for p in problems)
    assert problems[-1] == "the package was not read any further"


def test_an_absolute_path_in_hashes_csv_is_not_opened(small_package: Path) -> None:
    hashes = small_package / "data/3-preservation/hashes.csv"
    lines = hashes.read_text().splitlines(keepends=True)
    lines[1] = "/etc/passwd" + lines[1][lines[1].index(",") :]
    hashes.write_text("".join(lines))
    rebag(small_package)
    assert "package.path" in codes(small_package)
    assert any("unsafe path '/etc/passwd'" in p for p in checker_problems(small_package))


def test_a_deeply_nested_line_in_a_package_is_reported(small_package: Path, cli: Cli) -> None:
    log = small_package / "data/4-custody/custody.jsonl"
    with log.open("ab") as fh:
        fh.write(b"[" * 200_000 + b"\n")
    result = cli("verify", small_package, "--json")
    assert result.code == 1 and "nested deeper" in result.stdout
    assert "Traceback" not in result.stderr
    assert any("nested deeper" in p for p in checker_problems(small_package))


# -- zips ------------------------------------------------------------------------------------


@pytest.fixture
def small_zip(case: Case, signer: Signer, tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("evidence")
    case.add_files(signer, [tmp_path / "a.txt"])
    zipped = export_case(case, signer, tmp_path / "out", pdf=False, make_zip=True).path
    assert verify_package(zipped).ok
    return zipped


def test_trailing_bytes_after_a_zip_fail(small_zip: Path) -> None:
    with small_zip.open("ab") as fh:
        fh.write(b"appended after the end record")
    assert codes(small_zip) == ["zip.extra-bytes"]


def test_an_unlisted_zip_member_is_named_and_not_unpacked(small_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(small_zip, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        top = archive.namelist()[0].split("/")[0]
        archive.writestr(f"{top}/data/1-collection/bomb.bin", bytes(64 * 1024 * 1024))
    into = tmp_path / "unpacked"
    into.mkdir()
    root, findings = unzip(small_zip, into)
    assert root is not None
    assert [(f.code, f.where) for f in findings] == [
        ("package.unlisted", f"{small_zip.name}: {top}/data/1-collection/bomb.bin")
    ]
    assert not (root / "data/1-collection/bomb.bin").exists()
    assert "package.unlisted" in codes(small_zip)


def test_a_zip_whose_payload_exceeds_its_declared_size_is_not_unpacked(
    small_zip: Path, tmp_path: Path
) -> None:
    """A member the manifests list, but bigger than the package says its payload is."""
    with zipfile.ZipFile(small_zip) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    name = next(n for n in members if n.endswith(".txt") and "/data/1-collection/" in n)
    members[name] = bytes(64 * 1024 * 1024)
    rebuilt = tmp_path / "rebuilt.zip"
    with zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    into = tmp_path / "unpacked"
    into.mkdir()
    root, findings = unzip(rebuilt, into)
    assert root is None and [f.code for f in findings] == ["zip.size"]
    assert sum(p.stat().st_size for p in into.rglob("*") if p.is_file()) == 0
    os.remove(rebuilt)
