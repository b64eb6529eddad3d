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
import binascii
import hashlib
import json
import os
import re
import secrets
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.errors import (
    DamagedKeyError,
    InvalidInputError,
    NoIdentityError,
    NotFoundError,
    WrongPassphraseError,
)
from cybercase.evidence.fsio import fsync_dir, write_bytes_durably
from cybercase.evidence.keys.identity import PublicIdentity, Signer, _one_line, fingerprint_of

KEY_FORMAT = "cybercase-key/1"


MIN_PASSPHRASE = 8


SCRYPT_N = 2**15


SCRYPT_R = 8


SCRYPT_P = 1


SCRYPT_MAXMEM = 128 * 1024 * 1024


_HEX64 = re.compile(r"[0-9a-f]{64}")


class _Kdf(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = "scrypt"
    salt: str
    n: int
    r: int
    p: int

    @field_validator("name")
    @classmethod
    def _scrypt(cls, value: str) -> str:
        if value != "scrypt":
            raise ValueError(f"unknown key derivation {value!r}")
        return value

    @field_validator("salt")
    @classmethod
    def _salt(cls, value: str) -> str:
        if not re.fullmatch(r"(?:[0-9a-f]{2}){16,64}", value):
            raise ValueError("the KDF salt is not 16 to 64 bytes of hex")
        return value

    @model_validator(mode="after")
    def _cost(self) -> _Kdf:
        # Values cybercase never writes: a damaged file, not a wrong passphrase.
        if self.n < 2**10 or self.n > 2**22 or self.n & (self.n - 1):
            raise ValueError(f"the KDF cost n={self.n} is not a power of two in 2^10..2^22")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise ValueError(f"the KDF parameters r={self.r}, p={self.p} are out of range")
        if 128 * self.n * self.r > SCRYPT_MAXMEM:
            raise ValueError("the KDF parameters would need more memory than any key made")
        return self


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
    checksum: str | None = None
    """SHA-256 of every other field (canonical JSON): a damaged KDF salt or key is then
    reported as damage, not as a wrong passphrase. Absent in keys made before it existed."""

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value != KEY_FORMAT:
            raise ValueError(f"unknown key file format {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StoredKey:
        if not _HEX64.fullmatch(self.fingerprint):
            raise ValueError("the fingerprint is not 64 hex digits")
        try:
            raw = base64.b64decode(self.public_key, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the public key is not valid base64 ({exc})") from exc
        if len(raw) != 32 or fingerprint_of(raw) != self.fingerprint:
            raise ValueError("the public key does not match the fingerprint")
        if "-----BEGIN ENCRYPTED PRIVATE KEY-----" not in self.private_key_pem:
            raise ValueError("the private key is not an encrypted PKCS#8 block")
        if self.checksum is not None and self.checksum != self.expected_checksum():
            raise ValueError("its checksum does not match its content")
        return self

    def expected_checksum(self) -> str:
        """The checksum of this file's other fields."""
        fields = self.model_dump(exclude={"checksum"})
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()

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
        maxmem=SCRYPT_MAXMEM,
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
        stored = stored.model_copy(update={"checksum": stored.expected_checksum()})
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
            data = path.read_bytes()
        except OSError as exc:
            raise DamagedKeyError(
                f"cannot read key file {path}: {exc.strerror}",
                hint="check the file's permissions",
            ) from exc
        try:
            stored = StoredKey.model_validate_json(data)
        except ValidationError as exc:
            raise _damaged(path, _first_problem(exc)) from exc
        except (ValueError, RecursionError) as exc:
            raise _damaged(path, "it is not valid JSON") from exc
        if path.stem != stored.fingerprint:
            raise _damaged(path, "its name and the fingerprint inside differ")
        return stored

    def default_fingerprint(self) -> str | None:
        """The fingerprint of the default key, if one is set and still present."""
        marker = self.folder / "default"
        if not marker.is_file():
            return None
        try:
            value = marker.read_bytes().decode("ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise _damaged_marker(marker) from exc
        if not _HEX64.fullmatch(value):
            raise _damaged_marker(marker)
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
            chosen = next((k for k in keys if k.fingerprint == fingerprint), None)
            if chosen is None:
                raise _damaged_marker(self.folder / "default")
            return chosen
        wanted = selector.removeprefix("sha256:").lower()
        matches = [k for k in keys if k.fingerprint.startswith(wanted) or k.name == selector]
        if len(matches) != 1:
            what = "no key matches" if not matches else "several keys match"
            raise NotFoundError(
                f"{what} {selector!r}", hint="list your keys with 'cybercase key show --all'"
            )
        return matches[0]

    def unlock(self, stored: StoredKey, passphrase: str) -> Signer:
        """Decrypt a private key; a wrong passphrase is a one-line error.

        A key file damaged so that it cannot be what cybercase wrote (bad PEM framing,
        KDF values it never uses, a checksum that does not match) is a
        :class:`DamagedKeyError` naming the file, never "wrong passphrase".
        """
        path = self._path(stored.fingerprint)
        pem = stored.private_key_pem.encode("ascii", errors="replace")
        try:
            serialization.load_pem_private_key(pem, password=None)
        except TypeError:
            pass  # well formed, and encrypted: what a key file must be
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise _damaged(path, "its private key block cannot be read") from exc
        else:
            raise _damaged(path, "its private key is not encrypted")
        try:
            password = _derive(passphrase, stored.kdf)
        except (ValueError, MemoryError, OverflowError) as exc:
            raise _damaged(path, f"its key derivation values cannot be used ({exc})") from exc
        try:
            private = serialization.load_pem_private_key(pem, password=password)
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


def _first_problem(exc: ValidationError) -> str:
    """The first validation problem, in words (no input values: they may be key material)."""
    errors = exc.errors(include_input=False, include_url=False)
    if not errors:
        return "its content is not a key file"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        return "it is not valid JSON (truncated or edited?)"
    return f"{where}: {message}" if where else message


def _damaged(path: Path, what: str) -> DamagedKeyError:
    return DamagedKeyError(
        f"key file {path} is damaged: {what}",
        hint="restore it from your backup; if you have none, make a new key with "
        "'cybercase key new' and ask a custodian to add it to your cases",
    )


def _damaged_marker(marker: Path) -> DamagedKeyError:
    return DamagedKeyError(
        f"the default-key marker {marker} is damaged or names a key that is not there",
        hint="choose your key again with 'cybercase key default NAME' "
        "('cybercase key show --all' lists them)",
    )
