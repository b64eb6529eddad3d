"""An investigator's identity: the public key (its fingerprint, its ``.pub`` file) and the
unlocked signer that signs custody entries.

The fingerprint of a key is the SHA-256 of its 32 raw public bytes, in lowercase hex.
Public keys travel as ``.pub`` files: a few ``Field: value`` lines, then a standard
PEM ``PUBLIC KEY`` block that any tool can read.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cybercase.errors import InvalidInputError

_PUB_HEADER = "cybercase investigator public key"


def fingerprint_of(public_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, lowercase hex."""
    return hashlib.sha256(public_raw).hexdigest()


def verify_signature(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``data`` by this key."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class PublicIdentity:
    """Who an investigator is, as anyone may know it."""

    name: str
    email: str | None
    public_raw: bytes

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint (64 hex digits)."""
        return fingerprint_of(self.public_raw)

    @property
    def public_b64(self) -> str:
        """The raw public key in base64, as the custody log records it."""
        return base64.b64encode(self.public_raw).decode("ascii")

    def to_pub_file(self) -> bytes:
        """The ``.pub`` file: labelled header lines, then a standard PEM block."""
        pem = Ed25519PublicKey.from_public_bytes(self.public_raw).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        lines = [_PUB_HEADER, f"Name: {_one_line(self.name)}"]
        if self.email:
            lines.append(f"Email: {_one_line(self.email)}")
        lines.append(f"Fingerprint: sha256:{self.fingerprint}")
        return ("\n".join(lines) + "\n").encode("utf-8") + pem

    @classmethod
    def from_pub_bytes(cls, data: bytes, source: str = "public key file") -> PublicIdentity:
        """Read a ``.pub`` file (or a bare PEM public key, then unnamed)."""
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidInputError(
                f"{source} holds no readable PEM public key",
                hint="use a file written by 'cybercase key export'",
            ) from exc
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInputError(f"{source} is not an Ed25519 public key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        text = data.decode("utf-8", errors="replace")
        name = _header(text, "Name") or "(unnamed)"
        return cls(name=name, email=_header(text, "Email"), public_raw=raw)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _header(text: str, field: str) -> str | None:
    match = re.search(rf"^{field}: (.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else None


class Signer:
    """An unlocked identity that can sign custody entries."""

    def __init__(self, identity: PublicIdentity, private_key: Ed25519PrivateKey) -> None:
        self.identity = identity
        self._private_key = private_key

    @property
    def name(self) -> str:
        """The investigator's name."""
        return self.identity.name

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint."""
        return self.identity.fingerprint

    def sign(self, data: bytes) -> bytes:
        """An Ed25519 signature of ``data``."""
        return self._private_key.sign(data)

    def derive_secret(self, purpose: bytes, length: int = 64) -> bytes:
        """Secret bytes for a key of another type, bound to this key and to ``purpose``.

        Some formats accept no Ed25519 key (WACZ signatures verify only ECDSA P-384 in
        ReplayWeb.page). Deriving that key (HKDF-SHA-512 over the private key) means there
        is still one secret to protect and back up, the passphrase still guards it, and an
        investigator always gets the same derived key.
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        seed = self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(hashes.SHA512(), length, salt=b"cybercase derived key", info=purpose).derive(
            seed
        )

    @classmethod
    def ephemeral(cls, name: str, email: str | None = None) -> Signer:
        """A throwaway identity, never written anywhere (tests, benchmarks)."""
        key = Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return cls(PublicIdentity(name=name, email=email, public_raw=raw), key)
