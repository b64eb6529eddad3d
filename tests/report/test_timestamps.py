"""Trusted timestamps in a package: shipped with their certificates, checked by openssl as
VERIFY.txt writes it, and by ``cybercase verify PACKAGE`` as strictly as in a live case."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import bagit
import rfc8785

from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps.exports import token_exports
from cybercase.evidence.timestamps.tokens import fingerprint, pem_certificates
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.report import export_case, verify_package
from tests.fixtures.report import RichIds


def stamp_commands(package: Path) -> list[list[str]]:
    """The ``openssl ts -verify`` lines of VERIFY.txt, split as a shell would."""
    text = (package / "VERIFY.txt").read_text()
    return [
        shlex.split(line.strip()[2:])
        for line in text.splitlines()
        if line.strip().startswith("$ openssl ts -verify ")
    ]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def copy_of(package: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    return copy


def test_every_token_travels_with_its_chain_and_root(package: Path, rich_case: Case) -> None:
    listed: dict[str, str] = {}
    for line in (package / "manifest-sha256.txt").read_text().splitlines():
        hex_value, path = line.split(maxsplit=1)
        listed.setdefault(f"sha256:{hex_value}", path)
    for token in token_exports(rich_case):
        assert listed[token.token.digest].startswith("data/3-preservation/timestamps/")
        assert token.chain is not None
        for certificate in (token.chain, token.root):
            assert listed[certificate.digest].startswith("data/3-preservation/tsa-certificates/")
        root = package / listed[token.root.digest]
        [cert] = pem_certificates(root.read_bytes(), root.name)
        detail = next(e for e in rich_case.entries() if e.seq == token.seq).detail
        assert fingerprint(cert) == detail["root_fingerprint"]
        if token.covered is not None:
            assert listed[token.covered.digest].startswith("data/1-collection/")


def test_openssl_as_written_fails_on_altered_data_and_so_does_verify(
    package: Path, tmp_path: Path, rich_ids: RichIds
) -> None:
    copy = copy_of(package, tmp_path)
    record = next(copy.glob(f"data/1-collection/{rich_ids.capture}_*/record.json"))
    record.write_bytes(record.read_bytes().replace(b"127.0.0.1", b"127.0.0.9"))
    by_data = {
        args[args.index("-data") + 1]: args for args in stamp_commands(copy) if "-data" in args
    }
    altered = by_data[record.relative_to(copy).as_posix()]
    refused = run(altered, copy)
    assert refused.returncode != 0
    assert "Verification: OK" not in refused.stdout
    assert "message imprint mismatch" in refused.stderr
    for data, args in by_data.items():
        if args is not altered:
            assert "Verification: OK" in run(args, copy).stdout, data
    report = verify_package(copy)
    assert not report.ok
    [finding] = [f for f in report.errors if f.code == "timestamp.data-altered"]
    assert rich_ids.capture in finding.message and "record.json" in finding.message
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "failed"


def test_a_token_swapped_for_another_is_caught(
    package: Path, tmp_path: Path, rich_ids: RichIds
) -> None:
    """Another genuine token from the same TSA, put in the place of E0003's, and re-bagged."""
    copy = copy_of(package, tmp_path)
    folder = copy / "data/3-preservation/timestamps"
    [mine] = folder.glob(f"*_{rich_ids.capture}_*.tsr")
    [other] = folder.glob(f"*_{rich_ids.chat}_*.tsr")
    mine.write_bytes(other.read_bytes())
    bagit.Bag(str(copy)).save(manifests=True)
    codes = {f.code for f in verify_package(copy).errors}
    assert {"object.corrupt", "timestamp.altered"} <= codes
    # openssl, given the swapped token and E0003's record as VERIFY.txt says, refuses too.
    [args] = [a for a in stamp_commands(copy) if a[a.index("-in") + 1].endswith(mine.name)]
    assert run(args, copy).returncode != 0


def test_an_entry_rewritten_before_the_seal_breaks_it(package: Path, tmp_path: Path) -> None:
    copy = copy_of(package, tmp_path)
    log = copy / "data/4-custody/custody.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if b'"note.added"' in line)
    entry = json.loads(lines[index])
    entry["detail"]["text"] = "Nothing to see here."
    lines[index] = rfc8785.dumps(entry) + b"\n"
    log.write_bytes(b"".join(lines))
    bagit.Bag(str(copy)).save(manifests=True)
    report = verify_package(copy)
    [broken] = [f for f in report.errors if f.code == "timestamp.seal-broken"]
    assert f"entry {entry['seq']} was altered after it was sealed" in broken.message
    assert "log.hash" in {f.code for f in report.errors}


def test_trust_comes_from_the_verifier_not_from_the_package(package: Path) -> None:
    """Without the test root among the verifier's roots, tokens are consistent but unvouched."""
    report = verify_package(package, tsa_settings=TsaSettings())
    assert report.ok
    [warning] = [f for f in report.findings if f.code == "timestamp.untrusted-root"]
    assert "3 token(s)" in warning.message and "DO NOT TRUST" in warning.message
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "warning"


def test_a_package_of_a_case_without_timestamps_says_not_checked(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    case.add_note(signer, "nothing timestamped yet")
    result = export_case(case, signer, tmp_path / "out", pdf=False)
    report = verify_package(result.path)
    assert report.ok
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "not checked"
    assert "No trusted timestamp was recorded" in (result.path / "VERIFY.txt").read_text()
    assert not stamp_commands(result.path)
