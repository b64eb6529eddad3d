"""The investigator's redaction key: a keyed hash for secrets withheld from the evidence.

A withheld value (a session cookie, an API key, the password in a URL) is named in the
evidence by a hash, so that the investigator can later show which value was sent without
disclosing it. A plain SHA-256 of a short or common value is no protection: a word list
finds ``admin:letmein`` in milliseconds. The hash is therefore an HMAC-SHA256 under a
secret key that lives only in the investigator's cybercase folder (``redaction.key``,
created on first use, file mode 0600) and never in a case or an export. Without the key
nobody can test guesses against the hash; with it, the investigator can confirm a value
(``cybercase key check-secret``).

The record names the algorithm (``hmac-sha256``) and the key's id, an HMAC of a fixed
label under the key: it tells which key made a hash without revealing the key. Records
written before the key existed carry a plain ``sha256:`` digest; they still read and can
still be checked.

NOTE: losing ``redaction.key`` does not harm the evidence, it only removes the ability
to confirm withheld values; back it up with your signing keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cybercase.clock import SystemClock, format_utc
from cybercase.errors import InvalidInputError, StorageError
from cybercase.evidence.fsio import fsync_dir, storage_error, temp_name

KEY_FILE = "redaction.key"
KEY_FORMAT = "cybercase-redaction-key/1"
ALGORITHM = "hmac-sha256"
LEGACY_ALGORITHM = "sha256"
KEY_BYTES = 32
_ID_LABEL = b"cybercase redaction key id"
_HASH = re.compile(r"(hmac-sha256|sha256):([0-9a-f]{64})")
_KEY_ID = re.compile(r"\bkey (rk-[0-9a-f]{16})\b")
_DAMAGED_HINT = (
    "restore it from your backup; or move it aside and a new key is made on the next capture "
    "(hashes made with the old key can then no longer be confirmed)"
)


@dataclass(frozen=True, slots=True)
class RedactionKey:
    """A loaded redaction key."""

    secret: bytes
    path: Path | None = None

    @property
    def key_id(self) -> str:
        """``rk-`` and 16 hex digits: names the key without revealing it."""
        return "rk-" + hmac.new(self.secret, _ID_LABEL, hashlib.sha256).hexdigest()[:16]

    def digest(self, value: bytes) -> str:
        """``hmac-sha256:<hex>`` of ``value`` under this key."""
        return f"{ALGORITHM}:" + hmac.new(self.secret, value, hashlib.sha256).hexdigest()

    @classmethod
    def generate(cls) -> RedactionKey:
        """A fresh key, held in memory only (tests, benchmarks)."""
        return cls(secrets.token_bytes(KEY_BYTES))


class Confirmation(Enum):
    """What checking a value against a recorded hash found."""

    MATCH = "match"
    NO_MATCH = "no match"
    OTHER_KEY = "made with another key"


@dataclass(frozen=True, slots=True)
class SecretCheck:
    """The answer of :func:`check_secret`, with what it was based on."""

    result: Confirmation
    algorithm: str
    key_id: str | None
    """The key the hash was made with, when the record names it."""
    local_key_id: str
    """The key of this investigator's folder."""

    @property
    def matches(self) -> bool:
        """Whether the value is the one that was withheld."""
        return self.result is Confirmation.MATCH


def key_path(home: Path) -> Path:
    """Where the key lives in an investigator's folder."""
    return home / KEY_FILE


_create_lock = threading.Lock()


def load_redaction_key(home: Path, *, create: bool = True) -> RedactionKey:
    """The key in ``home``, made (mode 0600) if absent and ``create`` is true.

    A damaged key file is a one-line error naming the file, never replaced silently: a
    new key would make every earlier hash unconfirmable.
    """
    path = key_path(home)
    with _create_lock:
        if not path.exists():
            if not create:
                raise InvalidInputError(
                    f"no redaction key in {home}",
                    hint="one is made by the first capture that withholds a secret",
                )
            _create(path)
        return _read(path)


def _create(path: Path) -> None:
    """Write a new key without ever replacing one another process made meanwhile."""
    secret = secrets.token_bytes(KEY_BYTES)
    document = {
        "format": KEY_FORMAT,
        "algorithm": ALGORITHM,
        "created": format_utc(SystemClock().now()),
        "key_id": RedactionKey(secret).key_id,
        "key": base64.b64encode(secret).decode("ascii"),
    }
    data = (json.dumps(document, indent=2) + "\n").encode("ascii")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(path.parent, KEY_FILE)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                # A link fails if the name exists: the first key made wins everywhere.
                os.link(tmp, path)
            except FileExistsError:
                pass
            except OSError:
                _create_in_place(path, data)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        fsync_dir(path.parent)
    except OSError as exc:
        raise storage_error("create the redaction key", path, exc) from exc


def _create_in_place(path: Path, data: bytes) -> None:
    """Where hard links are not supported (FAT USB sticks): exclusive create."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _read(path: Path) -> RedactionKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(
            f"cannot read the redaction key {path}: {exc.strerror}",
            hint="check the file's permissions",
        ) from exc
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != KEY_FORMAT:
            raise ValueError("not a redaction key")
        secret = base64.b64decode(str(document["key"]), validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        raise InvalidInputError(f"the redaction key {path} is damaged", hint=_DAMAGED_HINT) from exc
    if len(secret) != KEY_BYTES:
        raise InvalidInputError(f"the redaction key {path} is damaged", hint=_DAMAGED_HINT)
    key = RedactionKey(secret, path)
    if document.get("key_id") not in (None, key.key_id):
        raise InvalidInputError(
            f"the redaction key {path} is damaged (its key id does not match the key)",
            hint=_DAMAGED_HINT,
        )
    return key


def parse_recorded(text: str) -> tuple[str, str, str | None]:
    """``(algorithm, hex, key id)`` from a recorded hash or a whole placeholder text.

    Accepts ``hmac-sha256:<hex>``, ``sha256:<hex>`` and the placeholder found in a WARC
    (``[redacted by cybercase: hmac-sha256:<hex> key rk-…]``).
    """
    match = _HASH.search(text.strip().lower())
    if match is None:
        raise InvalidInputError(
            f"not a recorded hash: {text.strip()[:80]!r}",
            hint="copy the 'hmac-sha256:…' value from the record, or the whole placeholder",
        )
    key_id = _KEY_ID.search(text.lower())
    return match.group(1), match.group(2), key_id.group(1) if key_id else None


def check_secret(
    value: bytes, recorded: str, key: RedactionKey, *, key_id: str | None = None
) -> SecretCheck:
    """Whether ``value`` is the value withheld under ``recorded``.

    A plain ``sha256:`` (records made before keyed hashing) is checked without the key.
    """
    algorithm, expected, named = parse_recorded(recorded)
    made_with = key_id or named
    if algorithm == LEGACY_ALGORITHM:
        actual = hashlib.sha256(value).hexdigest()
    elif made_with is not None and made_with != key.key_id:
        return SecretCheck(Confirmation.OTHER_KEY, algorithm, made_with, key.key_id)
    else:
        actual = key.digest(value).split(":", 1)[1]
    result = Confirmation.MATCH if hmac.compare_digest(actual, expected) else Confirmation.NO_MATCH
    return SecretCheck(result, algorithm, made_with, key.key_id)


def confirm_secret(value: bytes, recorded: str, home: Path) -> SecretCheck:
    """:func:`check_secret` with the redaction key of the investigator folder ``home``."""
    algorithm, _, _ = parse_recorded(recorded)
    if algorithm == LEGACY_ALGORITHM and not key_path(home).exists():
        # Old records need no key; a throwaway one only fills in ``local_key_id``.
        return check_secret(value, recorded, RedactionKey.generate())
    return check_secret(value, recorded, load_redaction_key(home, create=False))


__all__ = [
    "ALGORITHM",
    "Confirmation",
    "RedactionKey",
    "SecretCheck",
    "check_secret",
    "confirm_secret",
    "key_path",
    "load_redaction_key",
    "parse_recorded",
]
