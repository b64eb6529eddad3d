"""Tokens on their own: parsing, verification, certificate order, trust, configuration."""

from __future__ import annotations

import secrets
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.digest import Digest
from cybercase.errors import InvalidInputError, TimestampError
from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps.grant import add_files
from cybercase.evidence.timestamps.tokens import (
    ParsedToken,
    certificates_pem,
    fingerprint,
    order_chain,
    parse_response,
    verify_token,
)
from cybercase.evidence.timestamps.tsa_client import TsaSettings, build_request
from cybercase.evidence.verify.case import verify_case
from cybercase.evidence.verify.timestamps import format_gap, timestamp_check
from cybercase.training.tsa import LocalTimestampAuthority
from cybercase.training.tsa_pki import TEST_POLICY_OID, TsaPki
from cybercase.training.tsa_server import run_test_tsa


@pytest.fixture(scope="module")
def other_pki() -> TsaPki:
    """A second, unrelated PKI (an impostor, for trust tests)."""
    return TsaPki.generate()


def grant(authority: LocalTimestampAuthority, digest: Digest, nonce: int = 7) -> ParsedToken:
    return parse_response(authority.respond(build_request(digest, nonce=nonce)))


@settings(max_examples=25, deadline=None)
@given(data=st.binary(min_size=0, max_size=512), other=st.binary(min_size=1, max_size=64))
def test_a_token_verifies_for_its_digest_and_no_other(
    tsa_pki: TsaPki, data: bytes, other: bytes
) -> None:
    authority = LocalTimestampAuthority(tsa_pki)
    digest = Digest.of_bytes(data)
    nonce = secrets.randbits(63)
    token = grant(authority, digest, nonce)
    problems, root, chain = verify_token(
        token, digest_hex=digest.hex, roots=[tsa_pki.root], nonce=nonce, policy=TEST_POLICY_OID
    )
    assert problems == []
    assert root == tsa_pki.root
    assert chain == [tsa_pki.tsa, tsa_pki.intermediate]
    wrong = Digest.of_bytes(data + other)
    problems, _root, _chain = verify_token(token, digest_hex=wrong.hex, roots=[tsa_pki.root])
    assert [p.code for p in problems] == ["token.imprint"]


def test_nonce_policy_and_foreign_root_are_each_named(tsa_pki: TsaPki, other_pki: TsaPki) -> None:
    digest = Digest.of_bytes(b"x")
    token = grant(LocalTimestampAuthority(tsa_pki), digest, nonce=11)
    problems, root, _ = verify_token(
        token, digest_hex=digest.hex, roots=[other_pki.root], nonce=12, policy="1.2.3"
    )
    assert root is None
    assert [p.code for p in problems] == ["token.nonce", "token.policy", "token.chain"]
    assert "as of the token's time" in problems[-1].message


def test_a_self_signed_certificate_passed_as_intermediate_is_not_trusted(
    tsa_pki: TsaPki, other_pki: TsaPki
) -> None:
    """rfc3161-client trusts every certificate it is given; ours must not pass roots that way."""
    digest = Digest.of_bytes(b"forged?")
    token = grant(LocalTimestampAuthority(other_pki), digest)
    problems, root, _ = verify_token(
        token,
        digest_hex=digest.hex,
        roots=[tsa_pki.root],
        intermediates=[other_pki.intermediate, other_pki.root],
    )
    assert root is None
    assert [p.code for p in problems] == ["token.chain"]


@settings(max_examples=20, deadline=None)
@given(order=st.permutations(range(5)))
def test_chain_order_does_not_matter(tsa_pki: TsaPki, other_pki: TsaPki, order: list[int]) -> None:
    pool = [tsa_pki.tsa, tsa_pki.intermediate, tsa_pki.root, other_pki.intermediate, tsa_pki.tsa]
    shuffled = [pool[i] for i in order]
    assert order_chain(tsa_pki.tsa, shuffled) == [tsa_pki.tsa, tsa_pki.intermediate]


def test_token_without_its_intermediate_needs_and_uses_the_configured_chain(
    case: Case, signer: Signer, tmp_path: Path, tsa_pki: TsaPki
) -> None:
    digest = Digest.of_bytes(b"only the leaf inside")
    authority = LocalTimestampAuthority(tsa_pki, embed_intermediate=False)
    token = grant(authority, digest)
    assert len(token.facts.certificates) == 1
    problems, root, _ = verify_token(token, digest_hex=digest.hex, roots=[tsa_pki.root])
    assert root is None and problems[0].code == "token.chain"
    # Chain given in reverse order and with a duplicate: still found.
    problems, root, chain = verify_token(
        token,
        digest_hex=digest.hex,
        roots=[tsa_pki.root],
        intermediates=[tsa_pki.intermediate, tsa_pki.tsa, tsa_pki.intermediate],
    )
    assert problems == [] and chain == [tsa_pki.tsa, tsa_pki.intermediate]


def test_configured_files_in_any_order(
    case: Case, signer: Signer, tmp_path: Path, tsa_pki: TsaPki, other_pki: TsaPki
) -> None:
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "roots.pem").write_bytes(certificates_pem([other_pki.root, tsa_pki.root]))
    (folder / "chain.pem").write_bytes(certificates_pem([tsa_pki.intermediate, tsa_pki.tsa]))
    with run_test_tsa(tmp_path / "tsa", pki=tsa_pki) as tsa:
        config = folder / "config.toml"
        config.write_text(
            "[[tsa.authorities]]\n"
            'name = "leaf-only"\n'
            f'url = "{tsa.url}"\n'
            'roots = ["roots.pem"]\n'
            'chain = ["chain.pem"]\n'
        )
        tsa.server.authority = LocalTimestampAuthority(tsa_pki, embed_intermediate=False)
        settings_ = TsaSettings.load(config)
        evidence = tmp_path / "e.txt"
        evidence.write_text("e")
        result = add_files(case, signer, [evidence], settings_)
    assert [g.tsa for g in result.timestamps.granted] == ["leaf-only"]
    entry = next(e for e in case.entries() if e.action == "timestamp.granted")
    roles = {a["role"]: a for a in entry.detail["artifacts"]}
    # -untrusted gets what the token lacks: the issuing CA (the TSA certificate is inside).
    chain_pem = case.read_object(roles["tsa-chain"]["digest"])
    assert chain_pem == certificates_pem([tsa_pki.intermediate])
    assert entry.detail["root"].startswith("CN=cybercase TEST-ONLY TSA root - DO NOT TRUST")
    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(settings_))])
    assert report.ok, [f.line() for f in report.findings]


def test_token_checked_without_configured_trust_is_a_named_warning(
    case: Case, signer: Signer, tmp_path: Path, tsa_settings: TsaSettings
) -> None:
    evidence = tmp_path / "e.txt"
    evidence.write_text("e")
    add_files(case, signer, [evidence], tsa_settings)
    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(TsaSettings()))])
    assert report.ok
    [warning] = [f for f in report.findings if f.code == "timestamp.untrusted-root"]
    assert "DO NOT TRUST" in warning.message and "sha256:" in warning.message
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "warning"


def test_a_token_from_an_unknown_pki_is_never_passed_silently(
    case: Case, signer: Signer, tmp_path: Path, tsa_pki: TsaPki, other_pki: TsaPki
) -> None:
    """A token that chains only to the root the case itself recorded is named as such."""
    evidence = tmp_path / "e.txt"
    evidence.write_text("e")
    with run_test_tsa(tmp_path / "impostor", pki=other_pki) as impostor:
        forged = TsaSettings.from_config(tomllib.loads(impostor.config_toml("impostor")))
        add_files(case, signer, [evidence], forged)
    trusted = tmp_path / "trusted-root.pem"
    trusted.write_bytes(certificates_pem([tsa_pki.root]))
    ours = TsaSettings(trust_roots=[trusted])
    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(ours))])
    [warning] = [f for f in report.findings if f.code == "timestamp.untrusted-root"]
    assert fingerprint(other_pki.root) in warning.message
    assert "not among your trusted roots" in warning.message
    [check] = [c for c in report.checks if c.name == "timestamps"]
    assert check.status == "warning"


@pytest.mark.parametrize(
    "data",
    [b"", b"not a timestamp", b"\x30\x03\x02\x01\x00", b"\x30\x82\xff\xff" + b"\x00" * 10],
)
def test_unparseable_token_gets_one_clear_message(data: bytes) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_response(data)
    assert caught.value.message.startswith("not a readable RFC 3161 timestamp response (")
    assert caught.value.hint and "not a timestamp response" in caught.value.hint


def test_a_refusal_is_reported_with_its_reason(tsa_pki: TsaPki) -> None:
    refusal = LocalTimestampAuthority(tsa_pki).refuse("bad_alg", "no such hash")
    with pytest.raises(TimestampError, match=r"refused the request \(status 2: no such hash\)"):
        parse_response(refusal)


def test_configuration_errors_name_the_field(tmp_path: Path) -> None:
    bad = {"tsa": {"authorities": [{"name": "x", "url": "ftp://tsa", "roots": ["r.pem"]}]}}
    with pytest.raises(InvalidInputError, match=r"\[tsa\] authorities.0.url"):
        TsaSettings.from_config(bad)
    with pytest.raises(InvalidInputError, match=r"\[tsa\] authorities.0.roots"):
        TsaSettings.from_config({"tsa": {"authorities": [{"name": "x", "url": "http://t"}]}})
    with pytest.raises(InvalidInputError, match=r"\[tsa\] colour"):
        TsaSettings.from_config({"tsa": {"colour": "blue"}})
    config = tmp_path / "conf" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        '[[tsa.authorities]]\nname = "a"\nurl = "https://tsa.example/"\nroots = ["r.pem"]\n'
    )
    loaded = TsaSettings.load(config)
    assert loaded.authorities[0].roots == [config.parent / "r.pem"]
    with pytest.raises(InvalidInputError, match="cannot read certificate file"):
        loaded.trusted_roots()
    assert tomllib.loads(config.read_text())["tsa"]["authorities"][0]["name"] == "a"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59.9, "59 s"), (61, "1 min 1 s"), (3600, "1 h 0 min"), (-90061, "1 d 1 h 1 min")],
)
def test_format_gap(seconds: float, text: str) -> None:
    assert format_gap(seconds) == text
