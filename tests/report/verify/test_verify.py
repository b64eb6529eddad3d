"""Verifying a package: it passes intact, and fails on any change, with bagit too."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import bagit
import pytest

from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.report import export_case, is_package, verify_package


def bagit_fails(root: Path) -> bool:
    """What the bagit library says (any exception while reading counts as a failure)."""
    try:
        bagit.Bag(str(root)).validate(processes=1)
    except (bagit.BagError, UnicodeError, ValueError, OSError):
        return True
    return False


def rebag(root: Path) -> None:
    """What a forger with the bagit tool would do after changing the payload."""
    bag = bagit.Bag(str(root))
    bag.save(manifests=True)


def test_intact_package_passes(package: Path) -> None:
    assert is_package(package)
    report = verify_package(package)
    assert report.ok, [f.line() for f in report.findings]
    assert [c.name for c in report.checks] == [
        "bag",
        "case",
        "log",
        "export",
        "keys",
        "objects",
        "timestamps",
    ]
    assert all(c.status == "passed" for c in report.checks), report.checks
    assert report.checks[-1].summary.startswith("2 item token(s), 1 seal(s), 3 verified")
    assert report.case_id == "WL-2026-001"
    assert report.stats["entries"] == 21
    assert report.stats["signatures"] == 21
    assert report.stats["objects"] >= 20


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_one_flipped_byte_anywhere_fails_bagit_and_verify(
    package: Path, tmp_path: Path, position: str
) -> None:
    files = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file())
    assert len(files) > 25
    for relative in files:
        copy = tmp_path / "copy"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(package, copy)
        target = copy / relative
        data = bytearray(target.read_bytes())
        index = {"first": 0, "middle": len(data) // 2, "last": len(data) - 1}[position]
        data[index] ^= 0xFF
        target.write_bytes(bytes(data))
        if relative.name != "tagmanifest-sha256.txt.sig":
            # The signature over the tag manifest cannot be listed in it; verify checks it.
            assert bagit_fails(copy), f"bagit missed a flipped byte in {relative} ({position})"
        report = verify_package(copy)
        assert not report.ok, f"verify missed a flipped byte in {relative} ({position})"


def test_each_check_says_what_it_found_when_it_fails(package: Path) -> None:
    intact = {c.name: c for c in verify_package(package).checks}
    listed = sum(
        len((package / name).read_text().splitlines())
        for name in ("manifest-sha256.txt", "tagmanifest-sha256.txt")
    )
    assert intact["bag"].summary == f"{listed} files match the BagIt manifests"
    [text] = package.glob("data/1-collection/E0003_*/text.txt")
    text.write_bytes(b"#" + text.read_bytes()[1:])  # same size: only the hash differs
    checks = {c.name: c for c in verify_package(package).checks}
    assert checks["bag"].status == "failed"
    assert checks["bag"].summary == (
        f"{listed - 1} of {listed} listed files match the BagIt manifests: 1 problem(s)"
    )
    assert checks["objects"].status == "failed"
    assert checks["objects"].summary.endswith("some are wrong or missing: 1 problem(s)")
    assert checks["log"].status == "passed" and "not intact" not in checks["log"].summary


def test_low_bit_flips_in_the_tag_manifest_fail_verify(package: Path) -> None:
    """bagit strips whitespace around manifest lines; the package check reads exact bytes."""
    path = package / "tagmanifest-sha256.txt"
    data = path.read_bytes()
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        path.write_bytes(bytes(changed))
        assert not verify_package(package).ok, f"byte {index}"
    path.write_bytes(data)
    assert verify_package(package).ok


def test_flipped_byte_in_the_zip_fails(rich_case: Case, signer: Signer, tmp_path: Path) -> None:
    result = export_case(rich_case, signer, tmp_path / "out", make_zip=True, pdf=False)
    assert verify_package(result.path).ok
    data = result.path.read_bytes()
    with zipfile.ZipFile(result.path) as archive:
        infos = [i for i in archive.infolist() if i.file_size > 0]
    for info in infos:
        # A byte in the middle of each member's stored data.
        offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        changed = bytearray(data)
        changed[offset + info.compress_size // 2] ^= 0xFF
        broken = tmp_path / "broken.zip"
        broken.write_bytes(bytes(changed))
        report = verify_package(broken)
        assert not report.ok, info.filename


def test_a_log_cut_short_and_rebagged_is_caught(package: Path) -> None:
    """bagit accepts a re-bagged package; the signed export statement does not."""
    log = package / "data/4-custody/custody.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    rebag(package)
    assert not bagit_fails(package)
    report = verify_package(package)
    assert not report.ok
    # The cut removed the seal's entry: its token is now a file no entry names.
    assert [f.code for f in report.errors] == [
        "export.tag-signature",
        "head.truncated",
        "package.unexpected",
    ]
    run = subprocess.run(
        [sys.executable, str(package / "data/4-custody/check_custody.py")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "entries are missing" in run.stdout


def test_an_altered_artifact_rebagged_is_caught(package: Path) -> None:
    record = next(package.glob("data/1-collection/E0003_*/record.json"))
    record.write_bytes(record.read_bytes().replace(b"127.0.0.1", b"127.0.0.9"))
    rebag(package)
    assert not bagit_fails(package)
    report = verify_package(package)
    # record.json is what E0003's trusted timestamp covers: that check fails too; and the
    # re-bagging changed the tag manifest the exporter signed.
    assert {f.code for f in report.errors} == {
        "export.tag-signature",
        "object.corrupt",
        "timestamp.data-altered",
    }
    run = subprocess.run(
        [sys.executable, str(package / "data/4-custody/check_custody.py"), str(package)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "record.json changed" in run.stdout


def test_an_added_file_is_caught(package: Path) -> None:
    extra = next(package.glob("data/1-collection/E0001_*")) / "planted.txt"
    extra.write_text("not evidence")
    assert bagit_fails(package)
    assert not verify_package(package).ok
    rebag(package)
    report = verify_package(package)
    assert "package.unlisted" in {f.code for f in report.errors}
    (package / "notes.txt").write_text("added at the top")
    assert "bag.unlisted-tag-file" in {f.code for f in verify_package(package).errors}


def test_a_swapped_key_file_is_caught(package: Path) -> None:
    keys = sorted((package / "data/4-custody/keys").iterdir())
    first, second = keys[0].read_bytes(), keys[1].read_bytes()
    keys[0].write_bytes(second)
    keys[1].write_bytes(first)
    rebag(package)
    assert "key.swapped" in {f.code for f in verify_package(package).errors}


def test_a_forged_export_statement_is_caught(package: Path) -> None:
    statement = package / "data/4-custody/export.json"
    statement.write_bytes(
        statement.read_bytes().replace(b'"excluded": []', b'"excluded": ["E0003"]')
    )
    rebag(package)
    assert "export.signature" in {f.code for f in verify_package(package).errors}


def test_zip_with_a_member_outside_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("pkg/bagit.txt", "BagIt-Version: 0.97\n")
        archive.writestr("pkg/../../escaped.txt", "x")
    report = verify_package(evil)
    assert not report.ok
    assert report.errors[0].code == "zip.unsafe"
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_not_a_zip_and_not_a_package(tmp_path: Path) -> None:
    fake = tmp_path / "x.zip"
    fake.write_bytes(b"not a zip")
    assert verify_package(fake).errors[0].code == "zip.unreadable"
    with pytest.raises(InvalidInputError):
        verify_package(tmp_path)
