"""Exporting a case: the layout, the bag, the standard tools, the custody entry, safety."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from cybercase.digest import hash_file
from cybercase.errors import NotCustodianError, NotFoundError, StorageError, VerificationFailedError
from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps.exports import token_exports
from cybercase.evidence.timestamps.grant import seal
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.report import export_case, verify_package
from cybercase.report.names import check_relative

VENV_BIN = str(Path(sys.executable).parent)


def tool_env() -> dict[str, str]:
    """PATH with this interpreter's scripts (bagit.py, warcio, case_validate) first."""
    env = dict(os.environ)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    return env


def files_of(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_layout_follows_the_design(package: Path) -> None:
    names = files_of(package)
    for top in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "index.html",
        "VERIFY.txt",
        "data/case.json",
        "data/case.jsonld",
        "data/3-preservation/hashes.csv",
        "data/3-preservation/verification.json",
        "data/4-custody/custody.jsonl",
        "data/4-custody/custody.html",
        "data/4-custody/check_custody.py",
        "data/4-custody/export.json",
        "data/4-custody/export.sig",
    ):
        assert top in names, top
    capture = [n for n in names if n.startswith("data/1-collection/E0003_127-0-0-1-")]
    assert {n.rsplit("/", 1)[-1] for n in capture} >= {
        "capture.warc.gz",
        "record.json",
        "text.txt",
        "screenshot.png",
        "screenshot-annotated.png",
        "rendered.html",
        "page.pdf",
        "page.mhtml",
        "001-tusk-a.jpg",
    }
    assert any(n.startswith("data/1-collection/E0001_seller-chat-txt/") for n in names)
    request = "data/2-requests/R0001_market-example_preservation"
    assert {n for n in names if n.startswith(request + "/") and "/responses/" not in n} == {
        f"{request}/{name}"
        for name in (
            "request.json",
            "letter.html",
            "letter.pdf",
            "receipt-portal-confirmation.txt",
            "extension-1.html",
            "extension-1.pdf",
        )
    }
    assert f"{request}/responses/E0006_subscriber-csv/subscriber.csv" in names
    assert not any(n.startswith("data/1-collection/E0006") for n in names)
    assert sorted(n for n in names if n.startswith("data/3-preservation/timestamps/")) == [
        "data/3-preservation/timestamps/0009_E0001_E0001.tsr",
        "data/3-preservation/timestamps/0010_E0003_E0003.tsr",
        "data/3-preservation/timestamps/0021_log_seal-000020.tsr",
    ]
    certificates = [n for n in names if n.startswith("data/3-preservation/tsa-certificates/")]
    assert sorted(n.rsplit("/", 1)[-1].split("_")[0] for n in certificates) == [
        "tsa-chain",
        "tsa-root",
    ]
    # The lead's key, the colleague's, and the key of the investigator who exports.
    assert len([n for n in names if n.startswith("data/4-custody/keys/")]) == 3
    for name in names:
        check_relative(name)


def test_hostile_names_stay_inside_the_package(package: Path, tmp_path: Path) -> None:
    out = package.parent
    # The case's own folders sit beside "out"; nothing else may have appeared anywhere.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "out", "tsa"]
    assert [p.name for p in out.iterdir()] == [package.name]
    assert not (tmp_path / "etc").exists() and not (out / "etc").exists()
    # Imported as "con.jpg", a device name on Windows: renamed.
    imported = package / "data/1-collection/E0002_con-jpg"
    assert [p.name for p in imported.iterdir()] == ["_con.jpg"]
    # The "../../etc" in the captured URL stays text in the folder's name.
    [capture] = package.glob("data/1-collection/E0003_*")
    assert capture.parent == package / "data/1-collection" and ".." not in capture.name
    responses = package / "data/2-requests/R0001_market-example_preservation/responses"
    # Returned as "..\\..\\etc\\passwd" (a path on Windows): kept as a plain name.
    assert (responses / "E0007_etc-passwd/passwd").read_bytes() == b"subscriber: seller77\n"


def test_bagit_library_and_cli_validate(package: Path) -> None:
    bag = bagit.Bag(str(package))
    bag.validate(processes=1)
    assert bag.info["External-Identifier"] == "WL-2026-001"
    assert "sha256" in bag.algorithms
    run = subprocess.run(
        [shutil.which("bagit.py", path=VENV_BIN) or "bagit.py", "--validate", str(package)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "is valid" in run.stderr


def test_sha256sum_checks_both_manifests(package: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("GNU sha256sum is not installed")
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        run = subprocess.run(
            ["sha256sum", "--strict", "-c", manifest], cwd=package, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stdout + run.stderr
        listed = (package / manifest).read_text().count("\n")
        assert run.stdout.count(": OK") == listed


def test_every_command_in_verify_txt_passes(package: Path, rich_case: Case) -> None:
    """VERIFY.txt's commands, run as written, with the real tools."""
    text = (package / "VERIFY.txt").read_text()
    commands = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("$ ")]
    tools = {shlex.split(c)[0] for c in commands}
    assert tools == {
        "sha256sum",
        "bagit.py",
        "python3",
        "openssl",
        "warcio",
        "case_validate",
        "wacz",
    }, tools
    stamps = [shlex.split(c) for c in commands if c.startswith("openssl ts -verify ")]
    exports = token_exports(rich_case)
    assert len(stamps) == len(exports) == 3
    for args, token in zip(stamps, exports, strict=True):
        assert ("-data" in args) == (token.kind == "item"), args
        assert ("-digest" in args) == (token.kind == "seal"), args
        assert {"-in", "-CAfile", "-untrusted", "-attime"} <= set(args)
        assert args[args.index("-attime") + 1] == str(token.attime)
    for command in commands:
        args = shlex.split(command)
        run = subprocess.run(args, cwd=package, capture_output=True, text=True, env=tool_env())
        assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
        if args[:2] == ["openssl", "ts"]:
            assert "Verification: OK" in run.stdout
        if args[:2] == ["openssl", "x509"]:
            shown = run.stdout.split("Fingerprint=")[1].strip()
            assert f"SHA-256 fingerprint: {shown}" in text
            assert "TEST-ONLY TSA root - DO NOT TRUST" in run.stdout
        if args[0] == "python3":
            assert run.stdout.startswith("PASSED")


def test_verify_txt_says_what_the_evidence_proves(package: Path) -> None:
    for name in ("VERIFY.txt", "index.html"):
        text = " ".join((package / name).read_text().split())
        assert "have not changed" in text or "has not changed since it was captured" in text
        assert "do not prove that what a web server or a platform sent was itself" in text
        assert "collecting, requesting and preserving" in text
        assert "INTERPOL" in text
        assert "claims no compliance" in text
        assert "compliant" not in text.lower()


def test_export_is_a_custody_entry_and_the_case_still_verifies(
    rich_case: Case, signer: Signer, tmp_path: Path
) -> None:
    before = rich_case.state.last_seq
    result = export_case(rich_case, signer, tmp_path / "out", pdf=False)
    entries = list(rich_case.entries())
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.action == "case.exported"
    assert entry.seq == result.entry_seq
    assert entry.detail["tagmanifest"] == str(hash_file(result.path / "tagmanifest-sha256.txt"))
    assert entry.detail["log"] == {"seq": before, "hash": entries[-2].hash}
    assert entry.detail["package"] == result.path.name
    assert entry.detail["to"] == str(result.path.absolute())  # where the copy went
    assert verify_case(rich_case.root).ok
    statement = json.loads((result.path / "data/4-custody/export.json").read_text())
    assert statement["log"]["seq"] == before
    assert statement["excluded"] == []


def test_zip_export_verifies_and_leaves_no_folder(
    rich_case: Case, signer: Signer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = export_case(rich_case, signer, out, make_zip=True, pdf=False)
    assert result.path.suffix == ".zip"
    assert [p.name for p in out.iterdir()] == [result.path.name]
    assert result.zip_digest == str(hash_file(result.path))
    entry = list(rich_case.entries())[-1]
    assert entry.detail["zip"] == result.zip_digest
    report = verify_package(result.path)
    assert report.ok, [f.line() for f in report.findings]
    assert report.checks[0].name == "zip"


def test_second_export_gets_a_new_name(rich_case: Case, signer: Signer, tmp_path: Path) -> None:
    first = export_case(rich_case, signer, tmp_path / "out", pdf=False)
    second = export_case(rich_case, signer, tmp_path / "out", pdf=False)
    assert second.path.name == f"{first.path.name}_2"
    assert verify_package(first.path).ok
    assert verify_package(second.path).ok


def test_items_subset(rich_case: Case, signer: Signer, tmp_path: Path) -> None:
    result = export_case(rich_case, signer, tmp_path / "out", items=["e0001,R0001"], pdf=False)
    # A request brings along what its platform returned (E0006, E0007).
    assert result.items == ["E0001", "E0006", "E0007", "R0001"]
    assert result.excluded == ["E0002", "E0003", "E0004", "E0005", "R0002"]
    names = files_of(result.path)
    for left_out in ("E0002_", "E0003_", "E0004_", "E0005_", "R0002_"):
        assert not any(left_out in n for n in names), left_out
    assert any("/responses/E0006_" in n for n in names)
    report = verify_package(result.path)
    assert report.ok, [f.line() for f in report.findings]
    codes = {f.code for f in report.findings}
    assert {"object.excluded", "timestamp.excluded"} <= codes
    [timestamps] = [c for c in report.checks if c.name == "timestamps"]
    assert timestamps.status == "passed"
    assert "1 item token(s), 1 seal(s), 2 verified" in timestamps.summary
    verify_txt = (result.path / "VERIFY.txt").read_text()
    assert "E0001_seller-chat-txt/seller-chat.txt -in" in verify_txt
    assert "record.json" not in verify_txt
    assert "-digest" in verify_txt
    run = subprocess.run(
        [sys.executable, str(result.path / "data/4-custody/check_custody.py")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout


def test_unknown_item_is_a_usage_error_and_writes_nothing(
    rich_case: Case, signer: Signer, tmp_path: Path
) -> None:
    before = rich_case.state.last_seq
    with pytest.raises(NotFoundError):
        export_case(rich_case, signer, tmp_path / "out", items=["E0999"], pdf=False)
    assert list((tmp_path / "out").iterdir()) == []
    assert rich_case.state.last_seq == before


def test_damaged_case_is_not_exported(rich_case: Case, signer: Signer, tmp_path: Path) -> None:
    victim = next(rich_case.store.iter_objects())
    victim.chmod(0o644)
    data = bytearray(victim.read_bytes())
    data[0] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(VerificationFailedError):
        export_case(rich_case, signer, tmp_path / "out", pdf=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_failure_midway_leaves_no_package(
    rich_case: Case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk error while bagging (injected at the bagit boundary) leaves nothing behind."""
    calls: list[str] = []

    def disk_full(*args: object, **kwargs: object) -> None:
        calls.append("make_bag")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bagit, "make_bag", disk_full)
    before = rich_case.state.last_seq
    with pytest.raises(StorageError, match="No space left"):
        export_case(rich_case, signer, tmp_path / "out", pdf=False)
    assert calls == ["make_bag"]
    assert list((tmp_path / "out").iterdir()) == []
    assert rich_case.state.last_seq == before


def test_only_a_custodian_can_export(rich_case: Case, tmp_path: Path) -> None:
    stranger = Signer.ephemeral("Not A Custodian")
    with pytest.raises(NotCustodianError):
        export_case(rich_case, stranger, tmp_path / "out", pdf=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_pdf_of_the_report(rich_case: Case, signer: Signer, tmp_path: Path) -> None:
    """With the browser module present the report is printed; without, one note says so."""
    result = export_case(rich_case, signer, tmp_path / "out")
    try:
        import cybercase.collect.browser  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        assert not result.pdf
        assert result.notes == ["no PDF of the report: this installation has no browser support"]
        assert not (result.path / "report.pdf").exists()
        return
    if result.pdf:
        assert (result.path / "report.pdf").read_bytes().startswith(b"%PDF")
        assert verify_package(result.path).ok
    else:
        assert result.notes and result.notes[0].startswith("no PDF of the report")


def test_log_level_artifacts_are_packaged(
    case: Case, signer: Signer, tmp_path: Path, tsa_config: TsaSettings
) -> None:
    """A torn tail set aside after a crash, and a seal of the log (no item)."""
    with case.log_path.open("ab") as fh:
        fh.write(b'{"seq": 2, "half a line')
    case.refresh()
    case.add_note(signer, "after the crash")  # sets the torn tail aside first
    [sealed] = seal(case, signer, tsa_config).granted
    assert sealed.seq == 4
    result = export_case(case, signer, tmp_path / "out", pdf=False)
    names = files_of(result.path)
    assert "data/4-custody/attachments/0002_torn-after-1.bin" in names
    assert "data/3-preservation/timestamps/0004_log_seal-000003.tsr" in names
    report = verify_package(result.path)
    assert report.ok, [f.line() for f in report.findings]
    head = next(e for e in case.entries() if e.seq == 3)
    command = (
        f"openssl ts -verify -digest {head.hash.removeprefix('sha256:')} "
        "-in data/3-preservation/timestamps/0004_log_seal-000003.tsr"
    )
    assert command in (result.path / "VERIFY.txt").read_text()
