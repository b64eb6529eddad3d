"""Item tokens and seals checked with the real ``openssl ts -verify`` and ``cybercase verify``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cybercase.clock import FixedClock, SteppingClock
from cybercase.digest import Digest
from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps.exports import TokenExport, token_exports
from cybercase.evidence.timestamps.grant import add_files
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.training.tsa_pki import TsaPki
from cybercase.training.tsa_server import RunningTsa, run_test_tsa
from tests.conftest import CliResult

Openssl = Callable[..., subprocess.CompletedProcess[str]]


def export_files(case: Case, token: TokenExport, folder: Path) -> dict[str, str]:
    """Copy a token's files out of the store, as an export package would."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    for key, artifact in (
        ("token", token.token),
        ("root", token.root),
        ("chain", token.chain),
        ("data", token.covered),
    ):
        if artifact is None:
            continue
        target = folder / artifact.name
        case.store.copy_to(Digest.parse(artifact.digest), target)
        paths[key] = str(target)
    return paths


def alter_object(case: Case, digest: str) -> None:
    """Flip one byte of a stored object (objects are read-only: make it writable first)."""
    path = case.store.path_for(Digest.parse(digest))
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))


def test_item_token_verifies_with_openssl_and_cybercase(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    tsa_config: TsaSettings,
    openssl: Openssl,
    cli: Callable[..., CliResult],
) -> None:
    original = tmp_path / "listing-photo.jpg"
    original.write_bytes(b"\xff\xd8 ivory carving, 3 kg, offered for sale\xff\xd9")
    result = add_files(case, signer, [original], tsa_config)
    assert [g.kind for g in result.timestamps.granted] == ["item"]
    [token] = token_exports(case)
    assert token.items == ("E0001",)
    assert token.covered is not None and token.covered.role == "original"
    assert token.covered_digest == str(Digest.of_bytes(original.read_bytes()))

    files = export_files(case, token, tmp_path / "export")
    command = token.openssl_args(
        token=files["token"], root=files["root"], chain=files.get("chain"), data=files["data"]
    )
    verified = subprocess.run(command, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert "Verification: OK" in verified.stdout

    run = cli("verify", "--case", case.root, "--json")
    assert run.code == 0, run.stdout + run.stderr
    report = run.json()
    assert isinstance(report, dict)
    [timestamps] = [c for c in report["checks"] if c["name"] == "timestamps"]
    assert timestamps["status"] == "passed"
    assert "1 item token(s), 0 seal(s), 1 verified" in timestamps["summary"]

    # The same token over altered data fails both.
    altered = tmp_path / "altered.jpg"
    altered.write_bytes(original.read_bytes().replace(b"3 kg", b"8 kg"))
    command = token.openssl_args(
        token=files["token"], root=files["root"], chain=files.get("chain"), data=str(altered)
    )
    refused = subprocess.run(command, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "Verification: OK" not in refused.stdout
    assert "message imprint mismatch" in refused.stderr

    alter_object(case, token.covered_digest)
    run = cli("verify", "--case", case.root, "--json", "--no-log")
    assert run.code == 1
    report = run.json()
    assert isinstance(report, dict)
    codes = {f["code"]: f for f in report["findings"]}
    assert "timestamp.data-altered" in codes
    assert "E0001" in codes["timestamp.data-altered"]["message"]
    assert "object.corrupt" in codes


def test_seal_verifies_with_openssl_digest(
    case: Case, signer: Signer, tmp_path: Path, tsa_settings: TsaSettings, openssl: Openssl
) -> None:
    files = []
    for n in range(3):
        path = tmp_path / f"chat-{n}.txt"
        path.write_text(f"message {n}: pangolin scales, price on request")
        files.append(path)
    result = add_files(case, signer, files, tsa_settings)
    assert [g.kind for g in result.timestamps.granted] == ["seal"]
    assert result.timestamps.round_trips == 1
    [token] = token_exports(case)
    assert token.kind == "seal" and token.covered is None
    head = next(e for e in case.entries() if e.seq == token.sealed_seq)
    assert token.covered_digest == head.hash
    exported = export_files(case, token, tmp_path / "export")
    verified = openssl(
        *token.openssl_args(
            token=exported["token"], root=exported["root"], chain=exported.get("chain")
        )[1:]
    )
    assert verified.returncode == 0, verified.stderr
    other = "0" * 64
    refused = openssl(
        "ts", "-verify", "-digest", other, "-in", exported["token"], "-CAfile", exported["root"]
    )
    assert refused.returncode != 0
    assert verify_case(case.root, extra_checks=None).ok


def test_token_still_verifies_after_the_tsa_certificate_expired(
    tmp_path: Path, signer: Signer, openssl: Openssl
) -> None:
    # A TSA certificate valid for one hour in January 2020, long expired now.
    issued = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
    pki = TsaPki.generate(
        now=issued,
        tsa_not_before=issued - timedelta(minutes=30),
        tsa_not_after=issued + timedelta(minutes=30),
    )
    assert pki.tsa.not_valid_after_utc < datetime.now(UTC)
    clock = SteppingClock(issued - timedelta(minutes=1))
    case = Case.create(
        tmp_path / "case", case_id="OLD-1", title="old", agency="a", signer=signer, clock=clock
    )
    evidence = tmp_path / "old.txt"
    evidence.write_text("recorded in 2020")
    with run_test_tsa(tmp_path / "tsa", pki=pki, clock=FixedClock(issued)) as tsa:
        settings = tsa_settings_for(tsa)
        result = add_files(case, signer, [evidence], settings)
    [granted] = result.timestamps.granted
    assert granted.gen_time == "2020-01-01T12:00:00.000000Z"

    from cybercase.evidence.verify.timestamps import timestamp_check

    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(settings))])
    assert report.ok, [f.line() for f in report.findings]
    assert not [f for f in report.findings if f.code.startswith("timestamp")]

    [token] = token_exports(case)
    files = export_files(case, token, tmp_path / "export")
    args = token.openssl_args(
        token=files["token"], root=files["root"], chain=files.get("chain"), data=files["data"]
    )
    assert "-attime" in args
    assert openssl(*args[1:]).returncode == 0
    # Without -attime, openssl checks the certificate now, and it has expired.
    cut = args.index("-attime")
    today = openssl(*args[1:cut])
    assert today.returncode != 0
    assert "expired" in today.stderr


def tsa_settings_for(tsa: RunningTsa) -> TsaSettings:
    import tomllib

    return TsaSettings.from_config(tomllib.loads(tsa.config_toml()))


def test_token_from_openssl_with_unsorted_certificates_is_repaired(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    openssl_tsa: object,
    openssl: Openssl,
) -> None:
    from rfc3161_client import decode_timestamp_response

    from tests.fixtures.tsa import OpensslTsa

    assert isinstance(openssl_tsa, OpensslTsa)
    import tomllib

    settings = TsaSettings.from_config(tomllib.loads(openssl_tsa.config_toml()))
    evidence = tmp_path / "seized-phone-export.txt"
    evidence.write_text("contacts and messages")
    result = add_files(case, signer, [evidence], settings)
    [granted] = result.timestamps.granted
    assert granted.tsa == "openssl-tsa"
    [entry] = [e for e in case.entries() if e.action == "timestamp.granted"]
    assert entry.detail["repaired"] is True
    roles = {a["role"]: a for a in entry.detail["artifacts"]}
    received = case.read_object(roles["tsa-response"]["digest"])
    with pytest.raises(ValueError, match="InvalidSetOrdering"):
        decode_timestamp_response(received)
    # Both the response as received and the repaired one verify with openssl.
    [token] = token_exports(case)
    files = export_files(case, token, tmp_path / "export")
    raw = tmp_path / "as-received.tsr"
    raw.write_bytes(received)
    for path in (files["token"], str(raw)):
        args = token.openssl_args(
            token=path, root=files["root"], chain=files.get("chain"), data=files["data"]
        )
        assert openssl(*args[1:]).returncode == 0
    from cybercase.evidence.verify.timestamps import timestamp_check

    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(settings))])
    assert report.ok, [f.line() for f in report.findings]
