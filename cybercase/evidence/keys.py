"""Investigator identities: Ed25519 key pairs kept in the user's config folder.

A key file holds the public key in the clear and the private key as PKCS#8, encrypted
with a password that is itself derived from the passphrase by scrypt. PKCS#8 is the
standard container (openssl can open it given the derived password); the scrypt step is
there because PKCS#8's own PBKDF2 defaults are cheap to brute-force, and a stolen
laptop must not give up an investigator's signing key.

The fingerprint of a key is the SHA-256 of its 32 raw public bytes, in lowercase hex.
Public keys travel as ``.pub`` files: a few ``Field: value`` lines, then a standard
PEM ``PUBLIC KEY`` block that any tool can read.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import BaseModel, ConfigDict, ValidationError

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.errors import (
    InvalidInputError,
    NoIdentityError,
    NotFoundError,
    WrongPassphraseError,
)
from cybercase.evidence.fsio import fsync_dir, write_bytes_durably

KEY_FORMAT = "cybercase-key/1"
MIN_PASSPHRASE = 8
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
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


class _Kdf(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = "scrypt"
    salt: str
    n: int
    r: int
    p: int


class StoredKey(BaseModel):
    """A key file in ``<home>/keys/<fingerprint>.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str = KEY_FORMAT
    name: str
    email: str | None = None
    created: str
    fingerprint: str
    public_key: str
    """Raw Ed25519 public key, base64."""
    kdf: _Kdf
    """How the PKCS#8 password is derived from the passphrase."""
    private_key_pem: str
    """PKCS#8 ``ENCRYPTED PRIVATE KEY``; its password is hex(scrypt(passphrase))."""

    def identity(self) -> PublicIdentity:
        """The public part."""
        return PublicIdentity(
            name=self.name, email=self.email, public_raw=base64.b64decode(self.public_key)
        )


def _derive(passphrase: str, kdf: _Kdf) -> bytes:
    derived = hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=bytes.fromhex(kdf.salt),
        n=kdf.n,
        r=kdf.r,
        p=kdf.p,
        maxmem=128 * 1024 * 1024,
        dklen=32,
    )
    return derived.hex().encode("ascii")


class KeyRing:
    """The investigator keys of this user, in ``<home>/keys``."""

    def __init__(self, home: Path, clock: Clock | None = None) -> None:
        self.folder = home / "keys"
        self._clock = clock or SystemClock()

    def _path(self, fingerprint: str) -> Path:
        return self.folder / f"{fingerprint}.json"

    def create(self, name: str, email: str | None, passphrase: str) -> PublicIdentity:
        """Make and store a new key pair; the first key made becomes the default."""
        name = _one_line(name)
        if not name:
            raise InvalidInputError("an investigator name is required")
        if len(passphrase) < MIN_PASSPHRASE:
            raise InvalidInputError(
                f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters"
            )
        key = Ed25519PrivateKey.generate()
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        identity = PublicIdentity(name=name, email=email, public_raw=raw)
        kdf = _Kdf(salt=secrets.token_hex(16), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_derive(passphrase, kdf)),
        )
        stored = StoredKey(
            name=name,
            email=email,
            created=format_utc(self._clock.now()),
            fingerprint=identity.fingerprint,
            public_key=identity.public_b64,
            kdf=kdf,
            private_key_pem=pem.decode("ascii"),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.name != "nt":
            os.chmod(self.folder, 0o700)
        write_bytes_durably(
            self._path(identity.fingerprint),
            stored.model_dump_json(indent=2).encode("utf-8"),
            mode=0o600,
        )
        if self.default_fingerprint() is None:
            self.set_default(identity.fingerprint)
        return identity

    def list(self) -> list[StoredKey]:
        """Every key in the ring, oldest first."""
        if not self.folder.is_dir():
            return []
        keys = [self._load(path) for path in self.folder.glob("*.json")]
        return sorted(keys, key=lambda k: k.created)

    def _load(self, path: Path) -> StoredKey:
        try:
            return StoredKey.model_validate_json(path.read_bytes())
        except (OSError, ValidationError, ValueError) as exc:
            raise InvalidInputError(
                f"key file {path} is unreadable or damaged",
                hint="restore it from your backup, or make a new key with 'cybercase key new'",
            ) from exc

    def default_fingerprint(self) -> str | None:
        """The fingerprint of the default key, if one is set and still present."""
        marker = self.folder / "default"
        if not marker.is_file():
            return None
        value = marker.read_text(encoding="ascii").strip()
        return value if self._path(value).is_file() else None

    def set_default(self, fingerprint: str) -> None:
        """Make a key the one used when none is named."""
        write_bytes_durably(self.folder / "default", (fingerprint + "\n").encode("ascii"))
        fsync_dir(self.folder)

    def find(self, selector: str | None = None) -> StoredKey:
        """A key by fingerprint (or a unique prefix of it) or exact name; else the default."""
        keys = self.list()
        if not keys:
            raise NoIdentityError(
                "no investigator key yet",
                hint='make one with: cybercase key new --name "Your Name"',
            )
        if selector is None:
            fingerprint = self.default_fingerprint() or keys[0].fingerprint
            return next(k for k in keys if k.fingerprint == fingerprint)
        wanted = selector.removeprefix("sha256:").lower()
        matches = [k for k in keys if k.fingerprint.startswith(wanted) or k.name == selector]
        if len(matches) != 1:
            what = "no key matches" if not matches else "several keys match"
            raise NotFoundError(
                f"{what} {selector!r}", hint="list your keys with 'cybercase key show --all'"
            )
        return matches[0]

    def unlock(self, stored: StoredKey, passphrase: str) -> Signer:
        """Decrypt a private key; a wrong passphrase is a one-line error."""
        try:
            private = serialization.load_pem_private_key(
                stored.private_key_pem.encode("ascii"), password=_derive(passphrase, stored.kdf)
            )
        except ValueError as exc:
            raise WrongPassphraseError(
                f"wrong passphrase for the key of {stored.name}",
                hint="try again; a forgotten passphrase cannot be recovered",
            ) from exc
        if not isinstance(private, Ed25519PrivateKey):
            raise InvalidInputError(f"key file of {stored.name} does not hold an Ed25519 key")
        identity = stored.identity()
        derived = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        if identity.fingerprint != stored.fingerprint or derived != identity.public_raw:
            raise InvalidInputError(
                f"key file of {stored.name} is inconsistent (public and private keys differ)",
                hint="restore the key file from your backup",
            )
        return Signer(identity, private)
