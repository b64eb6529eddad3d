"""Signing a WACZ locally: ``datapackage-digest.json`` in the anonymous form of wacz-auth.

The WACZ signing spec (Webrecorder, "WACZ Signing and Verification" 0.1.0) has an
anonymous form: ``signedData`` holds the SHA-256 of ``datapackage.json`` as the text
``sha256:<hex>``, an ECDSA ``signature`` of that text and the ``publicKey`` (base64
SubjectPublicKeyInfo DER). The spec names no curve; ReplayWeb.page (wabac.js) imports
the key as ECDSA P-384 and checks the signature with WebCrypto (ECDSA with SHA-256, the
signature as raw ``r || s``), so that is what is written: a P-256 or Ed25519 key would
be silently reported as unverified there.

NOTE: the investigator's identity key is Ed25519, which the spec's readers do not accept.
The P-384 key is therefore derived from it (:meth:`~cybercase.evidence.keys.keyring.Signer.
derive_secret`, FIPS 186-4 B.4.1 style reduction) rather than stored: nothing new to
protect or back up, the same passphrase unlocks it, and the same investigator always
signs with the same WACZ key. Its public half is vouched for by an Ed25519 signature of
the investigator (the key binding in ``datapackage.json``) and recorded in the custody
entry of the export.

On top of the anonymous form, ``timeSignature`` holds an RFC 3161 response (base64 DER)
whose imprint is the SHA-256 of the ASCII text of ``signature`` and ``timestampCert`` the
TSA's certificates (PEM) — the same fields, with the same meaning, as the spec's signed
form and webrecorder's authsign use, so the signature is shown to have existed at that
time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from cybercase.digest import Digest
from cybercase.evidence import Signer
from cybercase.evidence.keys.identity import verify_signature
from cybercase.evidence.timestamps.tokens import certificates_pem
from cybercase.evidence.timestamps.tsa_client import TsaClient

KEY_PURPOSE = b"cybercase wacz-auth ECDSA P-384 signing key v1"
BINDING_PREFIX = b"cybercase-wacz-key/1\n"
"""What the investigator's Ed25519 key signs, followed by the WACZ public key's DER."""
SIGNING_SPEC_VERSION = "0.1.0"
CURVE = ec.SECP384R1()
_SCALAR_BYTES = 48
_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    16,
)


def signing_key(signer: Signer) -> ec.EllipticCurvePrivateKey:
    """The investigator's WACZ key: P-384, derived from their Ed25519 key."""
    # 64 bytes for a 384-bit order: the modulo bias is below 2**-128 (FIPS 186-4 B.4.1).
    material = int.from_bytes(signer.derive_secret(KEY_PURPOSE, 64), "big")
    return ec.derive_private_key(material % (_ORDER - 1) + 1, CURVE)


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as the spec's ``publicKey``: base64 SubjectPublicKeyInfo DER."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def sign_hash(key: ec.EllipticCurvePrivateKey, hash_text: str) -> str:
    """The spec's ``signature`` of ``hash_text``: ECDSA SHA-256, raw ``r || s``, base64."""
    r, s = decode_dss_signature(key.sign(hash_text.encode("utf-8"), ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(_SCALAR_BYTES, "big") + s.to_bytes(_SCALAR_BYTES, "big")
    return base64.b64encode(raw).decode("ascii")


def signature_ok(public_b64: str, signature_b64: str, hash_text: str) -> bool:
    """Whether ``signature_b64`` is the key's signature of ``hash_text`` (spec rules)."""
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_b64, validate=True))
        raw = base64.b64decode(signature_b64, validate=True)
    except (ValueError, binascii.Error):
        return False
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != CURVE.name:
        return False
    if len(raw) != 2 * _SCALAR_BYTES:
        return False
    der = encode_dss_signature(
        int.from_bytes(raw[:_SCALAR_BYTES], "big"), int.from_bytes(raw[_SCALAR_BYTES:], "big")
    )
    try:
        key.verify(der, hash_text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def binding_message(public_b64: str) -> bytes:
    """What the investigator's Ed25519 key signs to vouch for a WACZ public key."""
    return BINDING_PREFIX + base64.b64decode(public_b64)


def binding_ok(ed25519_b64: str, public_b64: str, binding_b64: str) -> bool:
    """Whether the Ed25519 key vouched for this WACZ public key."""
    try:
        raw = base64.b64decode(ed25519_b64, validate=True)
        signature = base64.b64decode(binding_b64, validate=True)
        message = binding_message(public_b64)
    except (ValueError, binascii.Error):
        return False
    return verify_signature(raw, signature, message)


def time_imprint(signature_b64: str) -> Digest:
    """What ``timeSignature`` covers: SHA-256 of the ``signature`` field's ASCII text."""
    return Digest(hex=hashlib.sha256(signature_b64.encode("ascii")).hexdigest())


@dataclass(slots=True)
class SignedDigest:
    """The contents of ``datapackage-digest.json``, and why it has no token if it has none."""

    data: dict[str, Any]
    note: str | None = None

    @property
    def public_key(self) -> str:
        """The WACZ public key (base64 SPKI DER)."""
        return str(self.data["signedData"]["publicKey"])

    @property
    def timestamped(self) -> bool:
        """Whether an RFC 3161 token is included."""
        return "timeSignature" in self.data["signedData"]


def key_binding(signer: Signer) -> dict[str, str]:
    """The ``cybercase`` block of ``datapackage.json``: who holds the WACZ key."""
    public = public_key_b64(signing_key(signer))
    identity = signer.identity
    block = {
        "investigator": identity.name,
        "fingerprint": f"sha256:{identity.fingerprint}",
        "ed25519PublicKey": identity.public_b64,
        "waczPublicKey": public,
        "keyBinding": base64.b64encode(signer.sign(binding_message(public))).decode("ascii"),
    }
    if identity.email:
        block["email"] = identity.email
    return block


def sign_datapackage(
    signer: Signer,
    datapackage: bytes,
    *,
    created: str,
    software: str,
    tsa: TsaClient | None,
) -> SignedDigest:
    """``datapackage-digest.json`` over ``datapackage``, timestamped when a TSA answers."""
    key = signing_key(signer)
    hash_text = f"sha256:{hashlib.sha256(datapackage).hexdigest()}"
    signature = sign_hash(key, hash_text)
    signed: dict[str, Any] = {
        "hash": hash_text,
        "created": created,
        "software": software,
        "version": SIGNING_SPEC_VERSION,
        "signature": signature,
        "publicKey": public_key_b64(key),
    }
    note: str | None = None
    if tsa is None or not tsa.settings.authorities:
        note = "the WACZ has no trusted timestamp: no time-stamping authority is configured"
    else:
        grant, attempts = tsa.timestamp(time_imprint(signature))
        if grant is None:
            reasons = "; ".join(f"{a.authority}: {a.error}" for a in attempts)
            note = f"the WACZ has no trusted timestamp: {reasons}"
        else:
            signed["timeSignature"] = base64.b64encode(grant.token.data).decode("ascii")
            signed["timestampCert"] = certificates_pem([*grant.chain, grant.root]).decode("ascii")
    return SignedDigest({"path": "datapackage.json", "hash": hash_text, "signedData": signed}, note)
