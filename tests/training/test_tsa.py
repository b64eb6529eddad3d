"""The local test TSA: clearly labelled, real tokens, reusable PKI, stoppable."""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cybercase.digest import Digest
from cybercase.evidence.timestamps.tokens import parse_response
from cybercase.evidence.timestamps.tsa_client import (
    QUERY_TYPE,
    TsaClient,
    TsaSettings,
    build_request,
)
from cybercase.training.tsa_pki import CHAIN_PEM, ROOT_PEM, TEST_POLICY_OID, TsaPki
from cybercase.training.tsa_server import RunningTsa, run_test_tsa, start_test_tsa

Openssl = Callable[..., subprocess.CompletedProcess[str]]


def test_root_is_labelled_as_a_test_root_nobody_should_trust(tmp_path: Path) -> None:
    pki = TsaPki.load_or_create(tmp_path)
    common_name = pki.root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert "TEST" in str(common_name) and "DO NOT TRUST" in str(common_name)
    assert pki.root.subject == pki.root.issuer
    usage = pki.tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert "Nobody should trust it" in (tmp_path / "README.txt").read_text()
    again = TsaPki.load_or_create(tmp_path)
    assert again.root == pki.root and again.tsa == pki.tsa


def test_served_token_verifies_with_openssl(
    tmp_path: Path, tsa: RunningTsa, openssl: Openssl
) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"a listing for rhino horn powder")
    query = build_request(Digest.of_bytes(data.read_bytes()), nonce=42)
    reply = httpx.post(tsa.url, content=query, headers={"Content-Type": QUERY_TYPE})
    assert reply.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "reply.tsr").write_bytes(reply.content)
    text = openssl("ts", "-reply", "-in", tmp_path / "reply.tsr", "-text")
    assert "Status: Granted." in text.stdout
    assert f"Policy OID: {TEST_POLICY_OID}" in text.stdout
    assert "Nonce: 0x2A" in text.stdout
    checked = openssl(
        "ts",
        "-verify",
        "-data",
        data,
        "-in",
        tmp_path / "reply.tsr",
        "-CAfile",
        tsa.root_pem,
        "-untrusted",
        tsa.chain_pem,
    )
    assert checked.returncode == 0, checked.stderr
    token = parse_response(reply.content)
    assert token.repaired is False
    assert token.facts.nonce == 42
    assert tsa.requests == 1


def test_stopped_tsa_refuses_connections(tmp_path: Path, tsa_pki: TsaPki) -> None:
    running = start_test_tsa(tmp_path / "t", pki=tsa_pki)
    settings = TsaSettings.from_config(tomllib.loads(running.config_toml()))
    with TsaClient(settings) as client:
        grant, _ = client.timestamp(Digest.of_bytes(b"up"))
        assert grant is not None
        running.stop()
        grant, attempts = client.timestamp(Digest.of_bytes(b"down"))
    assert grant is None
    assert "connection refused" in attempts[0].error or "cannot reach" in attempts[0].error
    with pytest.raises(httpx.ConnectError):
        httpx.post(running.url, content=b"x", timeout=2)


def test_files_for_a_verifier_are_written(tmp_path: Path, tsa_pki: TsaPki) -> None:
    with run_test_tsa(tmp_path / "t", pki=tsa_pki) as running:
        assert running.root_pem == tmp_path / "t" / ROOT_PEM
        chain = x509.load_pem_x509_certificates((tmp_path / "t" / CHAIN_PEM).read_bytes())
        assert chain == [tsa_pki.tsa, tsa_pki.intermediate]
        config = tomllib.loads(running.config_toml("demo", timeout=3))
        [authority] = config["tsa"]["authorities"]
        assert authority["url"].startswith("http://127.0.0.1:")
        assert authority["timeout"] == 3
    assert running.stopped
