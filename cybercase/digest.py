"""SHA-256 digests as typed values, computed while streaming.

A digest is never a bare string inside the program: :class:`Digest` carries the
algorithm, the lowercase hex value and the number of bytes hashed, and prints as
``sha256:<hex>``. Files are hashed through one reused buffer (``readinto``), so the
memory used does not depend on the file's size.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

ALGORITHM = "sha256"
CHUNK_SIZE = 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Digest:
    """A SHA-256 digest and the size of what was hashed (``None`` when not known)."""

    hex: str
    size: int | None = None
    algorithm: str = ALGORITHM

    def __post_init__(self) -> None:
        if self.algorithm != ALGORITHM:
            raise ValueError(f"unsupported hash algorithm {self.algorithm!r}: only sha256")
        if not _HEX.match(self.hex):
            raise ValueError(f"not a lowercase SHA-256 hex digest: {self.hex!r}")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        """The first 12 hex digits, for tables meant for people."""
        return self.hex[:12]

    @classmethod
    def parse(cls, text: str, size: int | None = None) -> Digest:
        """Read ``sha256:<hex>`` (or a bare 64-digit hex); anything else is an error."""
        algorithm, sep, value = text.partition(":")
        if not sep:
            return cls(hex=text, size=size)
        return cls(hex=value, size=size, algorithm=algorithm)

    @classmethod
    def of_bytes(cls, data: bytes) -> Digest:
        """The digest of bytes already in memory."""
        return cls(hex=hashlib.sha256(data).hexdigest(), size=len(data))


def is_sha256_text(text: str) -> bool:
    """Whether ``text`` is ``sha256:`` followed by 64 lowercase hex digits."""
    return text.startswith("sha256:") and bool(_HEX.match(text[7:]))


def hash_stream(stream: BinaryIO, buffer: bytearray | None = None) -> Digest:
    """Hash a binary stream to its end through one reused buffer."""
    hasher = hashlib.sha256()
    buf = buffer if buffer is not None else bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    total = 0
    while True:
        n = stream.readinto(view)  # type: ignore[attr-defined]
        if not n:
            break
        hasher.update(view[:n])
        total += n
    return Digest(hex=hasher.hexdigest(), size=total)


def hash_file(path: Path, buffer: bytearray | None = None) -> Digest:
    """Hash a file without reading it whole into memory."""
    with path.open("rb", buffering=0) as stream:
        return hash_stream(stream, buffer)


class HashingWriter:
    """Wraps a binary file: every byte written is hashed and counted in the same pass."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write and hash ``data``."""
        self._hasher.update(data)
        self.size += len(data)
        return self._target.write(data)

    def digest(self) -> Digest:
        """The digest of everything written so far."""
        return Digest(hex=self._hasher.hexdigest(), size=self.size)
