"""HTTPS captures: TLS facts, the peer chain, and certificates that do not verify."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from tests.collect.helpers import artifact, check_warc, object_path, read_warc, record_of
from tests.fixtures.servers import PAGE_HTML, LocalServer


def _settings(bundle: Path, **extra: object) -> CaptureSettings:
    return CaptureSettings(retries=0, ca_bundle=bundle, images=False, **extra)  # type: ignore[arg-type]


def test_https_capture_records_tls_facts_and_chain(
    case: Case, signer: Signer, https_server: LocalServer, tls_ca_bundle: Path
) -> None:
    result = capture_url(case, signer, https_server.url("/page"), _settings(tls_ca_bundle))
    assert result.ok
    hop = record_of(case, result)["attempts"][0]["hops"][0]
    tls = hop["tls"]
    assert tls["verified"] is True and tls["verification_error"] is None
    assert tls["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert tls["cipher"] and tls["cipher_bits"]
    assert tls["server_name"] == "127.0.0.1"
    leaf = tls["peer_chain"][0]
    cert = x509.load_pem_x509_certificate(leaf["pem"].encode())
    der = cert.public_bytes(Encoding.DER)
    assert leaf["sha256_fingerprint"] == "sha256:" + hashlib.sha256(der).hexdigest()
    assert "127.0.0.1" in leaf["subject_alt_names"]
    assert leaf["not_after"].endswith("Z")
    warc = object_path(case, artifact(result, "warc"))
    response = next(r for r in read_warc(warc) if r.type == "response")
    assert response.payload == PAGE_HTML
    assert response.headers["WARC-Cipher-Suite"] == tls["cipher"]
    assert "tls/1." in response.headers["WARC-Protocol"]
    check_warc(warc)


def test_expired_certificate_fails_without_insecure(
    case: Case, signer: Signer, expired_https_server: LocalServer, tls_ca_bundle: Path
) -> None:
    result = capture_url(case, signer, expired_https_server.url("/page"), _settings(tls_ca_bundle))
    assert result.outcome == "tls-failure" and not result.ok
    assert "expired" in result.message
    record = record_of(case, result)
    assert record["attempts"][0]["hops"][0]["error"]["outcome"] == "tls-failure"
    check_warc(object_path(case, artifact(result, "warc")))


def test_insecure_captures_and_records_why_verification_failed(
    case: Case, signer: Signer, expired_https_server: LocalServer, tls_ca_bundle: Path
) -> None:
    settings = _settings(tls_ca_bundle, insecure=True)
    result = capture_url(case, signer, expired_https_server.url("/page"), settings)
    assert result.ok and result.status == 200
    record = record_of(case, result)
    tls = record["attempts"][0]["hops"][0]["tls"]
    assert tls["verified"] is False
    assert "expired" in tls["verification_error"]
    assert tls["peer_chain"], "the expired certificate is still recorded"
    assert any("--insecure" in w for w in record["warnings"])
    assert record["settings"]["insecure"] is True
    check_warc(object_path(case, artifact(result, "warc")))


def test_untrusted_certificate(
    case: Case, signer: Signer, untrusted_https_server: LocalServer, tls_ca_bundle: Path
) -> None:
    result = capture_url(
        case, signer, untrusted_https_server.url("/page"), _settings(tls_ca_bundle)
    )
    assert result.outcome == "tls-failure"
    assert "verif" in result.message


def test_ca_bundle_is_needed_for_the_test_ca(
    case: Case, signer: Signer, https_server: LocalServer
) -> None:
    result = capture_url(case, signer, https_server.url("/page"), CaptureSettings(retries=0))
    assert result.outcome == "tls-failure"
