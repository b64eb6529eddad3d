"""The signature over a WACZ's ``datapackage-digest.json`` (WACZ signing spec) and the
trusted timestamp over it, checked as a live case's are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zipfile
from datetime import timedelta
from typing import Any

from cybercase.clock import parse_utc
from cybercase.errors import CybercaseError
from cybercase.evidence.timestamps.tokens import (
    fingerprint,
    is_self_signed,
    parse_response,
    pem_certificates,
    subject_text,
    verify_token,
)
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.report.wacz.sign import SIGNING_SPEC_VERSION, binding_ok, signature_ok, time_imprint
from cybercase.report.wacz.verify_files import WaczCheck, read_member
from cybercase.report.wacz.write import DATAPACKAGE, DIGEST_FILE

TIME_WINDOW = timedelta(minutes=10)


_SIGNED_KEYS = frozenset(
    {"hash", "created", "software", "version", "signature", "publicKey"}
    | {"timeSignature", "timestampCert", "domain", "domainCert", "crossSignedCert"}
)


def _canonical_digest(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


def check_signature(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], state: WaczCheck
) -> dict[str, Any] | None:
    """Spec steps 2 and 3, and the key binding; returns ``signedData`` when it holds."""
    assert state.package is not None and state.package_bytes is not None
    info = members.get(DIGEST_FILE)
    if info is None:
        state.add(
            "signature", "error", "wacz.unsigned", DIGEST_FILE, "missing: the WACZ is unsigned"
        )
        return None
    raw, error = read_member(archive, info)
    if raw is None:
        state.add("zip", "error", "wacz.corrupt", DIGEST_FILE, f"cannot be unpacked: {error}")
        return None
    try:
        digest = json.loads(raw)
        signed = digest["signedData"]
        if not isinstance(digest, dict) or not isinstance(signed, dict):
            raise TypeError("not an object")
    except (ValueError, KeyError, TypeError):
        state.add(
            "signature", "error", "wacz.digest-unreadable", DIGEST_FILE, "not readable, or unsigned"
        )
        return None
    problems = state.findings["signature"]
    before = len(problems)
    actual = f"sha256:{hashlib.sha256(state.package_bytes).hexdigest()}"
    if digest.get("path") != DATAPACKAGE:
        state.add(
            "signature", "error", "wacz.digest-path", DIGEST_FILE, "does not name datapackage.json"
        )
    if digest.get("hash") != actual or signed.get("hash") != actual:
        state.add(
            "signature",
            "error",
            "wacz.datapackage-changed",
            DATAPACKAGE,
            f"changed since it was signed: it is {actual}, the signed hash is {signed.get('hash')}",
        )
    if "publicKey" not in signed and "domainCert" in signed:
        state.add(
            "signature",
            "warning",
            "wacz.domain-signed",
            DIGEST_FILE,
            f"signed with the domain certificate of {signed.get('domain')!r} (the spec's "
            "signed form, made by a signing server): cybercase does not check that form; "
            "use 'wacz validate --verify-auth'",
        )
        return None
    unknown = sorted(set(signed) - _SIGNED_KEYS)
    missing = sorted({"hash", "created", "signature", "publicKey"} - set(signed))
    if unknown or missing:
        state.add(
            "signature",
            "error",
            "wacz.digest-fields",
            DIGEST_FILE,
            f"unexpected fields {unknown} or missing fields {missing} in signedData",
        )
    if signed.get("created") != state.package.get("created"):
        state.add(
            "signature",
            "error",
            "wacz.created",
            DIGEST_FILE,
            "signedData.created differs from datapackage.json's created",
        )
    ours = str(state.package.get("software", "")).startswith("cybercase")
    if ours and signed.get("software") != state.package.get("software"):
        state.add(
            "signature", "error", "wacz.software", DIGEST_FILE, "signedData.software was altered"
        )
    if ours and signed.get("version") != SIGNING_SPEC_VERSION:
        state.add(
            "signature", "error", "wacz.version", DIGEST_FILE, "signedData.version was altered"
        )
    if ours and raw != _canonical_digest(digest):
        state.add(
            "signature",
            "error",
            "wacz.digest-altered",
            DIGEST_FILE,
            "not byte for byte as cybercase writes it: the file was edited",
        )
    public, signature = str(signed.get("publicKey", "")), str(signed.get("signature", ""))
    if not signature_ok(public, signature, str(signed.get("hash", ""))):
        state.add(
            "signature",
            "error",
            "wacz.signature",
            DIGEST_FILE,
            "the signature is not a valid ECDSA P-384 signature of the hash by publicKey",
        )
    block = state.package.get("cybercase")
    if not isinstance(block, dict):
        state.add(
            "signature",
            "warning",
            "wacz.anonymous",
            DATAPACKAGE,
            "no investigator vouches for the signing key: check publicKey out of band",
        )
    elif block.get("waczPublicKey") != public or not binding_ok(
        str(block.get("ed25519PublicKey", "")), public, str(block.get("keyBinding", ""))
    ):
        state.add(
            "signature",
            "error",
            "wacz.key-binding",
            DATAPACKAGE,
            "the investigator's key does not vouch for the key that signed",
        )
    else:
        state.signer = f"{block.get('investigator')} (investigator key {block.get('fingerprint')})"
    return signed if len(problems) == before else None


def check_timestamp(signed: dict[str, Any], state: WaczCheck, settings: TsaSettings | None) -> None:
    where = f"{DIGEST_FILE} timeSignature"
    if "timeSignature" not in signed:
        state.add(
            "timestamp",
            "warning",
            "wacz.no-timestamp",
            DIGEST_FILE,
            "no trusted timestamp over the signature: it shows who signed, not when",
        )
        return
    state.timestamp_checked = True
    try:
        token = parse_response(base64.b64decode(str(signed["timeSignature"]), validate=True))
    except (CybercaseError, ValueError, binascii.Error) as exc:
        message = exc.message if isinstance(exc, CybercaseError) else str(exc)
        state.add("timestamp", "error", "wacz.token-unreadable", where, message)
        return
    try:
        shipped = pem_certificates(str(signed.get("timestampCert", "")).encode(), DIGEST_FILE)
    except CybercaseError:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "unreadable",
        )
        return
    if token.facts.signer is not None and shipped and shipped[0] != token.facts.signer:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "its first certificate is not the one that signed the token",
        )
    try:
        active = settings if settings is not None else TsaSettings.load()
        roots = active.trusted_roots()
    except CybercaseError as exc:
        state.add("timestamp", "warning", "timestamp.config", "trusted timestamps", exc.one_line())
        roots = []
    imprint = time_imprint(str(signed["signature"])).hex
    intermediates = [c for c in shipped if not is_self_signed(c)]
    problems, root, chain = verify_token(
        token, digest_hex=imprint, roots=roots, intermediates=intermediates
    )
    chain_only = problems and all(p.code == "token.chain" for p in problems)
    if chain_only:
        own = [c for c in shipped if is_self_signed(c)]
        again, own_root, own_chain = verify_token(
            token, digest_hex=imprint, roots=own, intermediates=intermediates
        )
        if not again and own_root is not None:
            state.add(
                "timestamp",
                "warning",
                "timestamp.untrusted-root",
                where,
                f"verifies only up to the root shipped in the WACZ, {subject_text(own_root)} "
                f"({fingerprint(own_root)}), which is not among your trusted roots: check that "
                "fingerprint with the authority, then add the root to [tsa]",
            )
            problems, root, chain = [], own_root, own_chain
    for problem in problems:
        state.add("timestamp", "error", problem.code, where, problem.message)
    if problems:
        return
    if root is not None and shipped != [*chain, root]:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-cert",
            f"{DIGEST_FILE} timestampCert",
            "the certificates differ from the chain the token verifies with: they were altered",
        )
        return
    gen_time = token.facts.gen_time
    try:
        created = parse_utc(str(signed.get("created", "")))
    except ValueError:
        state.add("timestamp", "error", "wacz.created", DIGEST_FILE, "created is not a UTC time")
        return
    if abs(gen_time - created) > TIME_WINDOW:
        state.add(
            "timestamp",
            "error",
            "wacz.timestamp-gap",
            where,
            f"the TSA time {gen_time.isoformat()} is more than 10 minutes from created "
            f"{signed.get('created')}",
        )
        return
    authority = token.facts.tsa_name or (subject_text(root) if root is not None else "a TSA")
    state.timestamp_summary = (
        f"signature timestamped by {authority} at {gen_time.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )
