"""The custody log file: reading lines, spotting a torn tail, appending durably.

``custody.jsonl`` is append-only: one canonical-JSON entry per line, each line ending
with a newline. An entry is committed once its whole line, newline included, has been
written and ``fsync``-ed. A crash can therefore leave only one kind of damage: a last
segment without its newline (a *torn tail*), which was never committed.

``custody.head`` records the seq and hash of the last committed entry, written after
each append and signed by the key that made the append. It lets ``verify`` notice that
committed entries were cut off the end of the log, which the hash chain alone cannot
show; the signature stops anyone without a custodian's key from rewriting it to match a
shortened log.

A line counts as an entry only if it is *exactly* the canonical JSON (RFC 8785) of what
it parses to: no other spacing, key order, escapes, number forms or byte-order mark, and
no duplicate keys. Otherwise two readers (this one, ``grep``, a reader keeping the first
of two duplicate keys) could see two different entries behind one valid hash. Lines are
bounded in length and nesting before and while they are parsed, so a crafted line is
reported like any damaged one instead of exhausting the stack.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cybercase.errors import InvalidInputError, StorageError
from cybercase.evidence.fsio import storage_error, write_bytes_durably
from cybercase.evidence.log.entry import (
    CustodyEntry,
    canonical_json,
    plain_bytes,
    plain_depth,
    plain_json,
)

LOG_NAME = "custody.jsonl"
HEAD_NAME = "custody.head"
HEAD_FORMAT = "cybercase-head/2"
MAX_LINE_BYTES = 16 * 1024 * 1024
"""No entry comes near this (a capture with thousands of images is a few hundred KB)."""
MAX_DEPTH = 32
"""Entries nest a few levels (detail, artifacts, an artifact); deeper is not an entry."""
MAX_HEAD_BYTES = 4096
SIGNED_HEAD_KEY = "custody_head"
SIGNED_HEAD_VALUE = "signed"
"""Declared in ``case.created``: this case's head is always signed, so an unsigned head in
it is a forgery, not a case made by an older version."""


SEALS_DIR = "seals"
"""Copies of the seal tokens, beside the log: ``seals/<seq of the seal entry>.tsr``."""


def seal_copy_name(seq: int) -> str:
    """The file name of the copy of the token sealed by entry ``seq``."""
    return f"{seq:06d}.tsr"


def seal_copy_seq(name: str) -> int | None:
    """The seal entry a copy's file name names, or ``None`` for any other name."""
    stem = name.removesuffix(".tsr")
    if name.endswith(".tsr") and len(stem) >= 6 and stem.isdigit() and stem.isascii():
        return int(stem) if seal_copy_name(int(stem)) == name else None
    return None


def write_seal_copy(case_root: Path, seq: int, token: bytes) -> None:
    """Keep a copy of a seal's token beside the log, where cutting the log cannot reach."""
    folder = case_root / SEALS_DIR
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise storage_error("create", folder, exc) from exc
    write_bytes_durably(folder / seal_copy_name(seq), token, mode=0o444)


class DuplicateKeyError(ValueError):
    """A JSON object names the same member twice."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((inner, level + 1) for inner in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((inner, level + 1) for inner in item)
    return deepest


def _quick_json(text: str, data: bytes) -> Any:
    """The parsed line when it is plainly canonical, else ``None`` (for the full checks).

    Opening a case parses every line, so the common line takes the C parser and writer
    and a few scans of its bytes. Accepting here is exact: the value is one the standard
    writer renders as RFC 8785 (no float, no integer beyond 2**53, no key at or above
    U+D800: see :func:`plain_depth`), its nesting is bounded, and those bytes are the
    line's, which also rules out a duplicate key (the parse keeps one of the two; the
    line holds both, so it is longer than its canonical form). A line the scans cannot
    clear that cheaply (high characters, many brackets, long digit runs, even inside
    strings) is walked instead; anything else, including every line that is wrong, goes
    through :func:`strict_json`'s ordered checks, which name the fault.
    """
    value = plain_bytes(text, data, MAX_DEPTH)
    if value is None:
        return _walked_json(text, data)
    return value if plain_json(value) == data else None


def _walked_json(text: str, data: bytes) -> Any:
    """:func:`_quick_json` for lines its scans do not clear: one walk says it all."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    depth = plain_depth(value)
    if depth is None or depth > MAX_DEPTH or plain_json(value) != data:
        return None
    return value


def strict_json(data: bytes) -> Any:
    """Parse one log line that must be canonical JSON; ValueError says why it is not.

    The order matters: length before parsing, nesting while parsing (the C parser stops
    with RecursionError) and after it, duplicates while parsing, exact bytes last.
    """
    if len(data) > MAX_LINE_BYTES:
        raise ValueError(f"longer than {MAX_LINE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("not valid UTF-8") from exc
    quick = _quick_json(text, data)
    return quick if quick is not None else checked_json(text, data)


def checked_json(text: str, data: bytes) -> Any:
    """:func:`strict_json`'s full checks, in order, each naming what is wrong."""
    try:
        value = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as exc:
        raise ValueError(f"not a single JSON value ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from exc
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        canonical = canonical_json(value)
    except InvalidInputError as exc:
        raise ValueError("holds a value canonical JSON cannot represent") from exc
    if canonical != data:
        raise ValueError(
            "not in canonical form (RFC 8785): its bytes differ from the canonical JSON of "
            "its content (spacing, key order, escapes, number form, byte-order mark)"
        )
    return value


@dataclass(frozen=True, slots=True)
class ScannedLine:
    """One complete line of the log and what could be read from it."""

    number: int
    """1-based line number."""
    offset: int
    """Byte offset of the line's start."""
    data: bytes
    """The line without its newline."""
    entry: CustodyEntry | None
    """The entry, if the line parses as one."""
    error: str | None
    """Why it does not, otherwise."""


@dataclass(slots=True)
class LogScan:
    """The result of reading (part of) the log."""

    lines: list[ScannedLine] = field(default_factory=list)
    torn: bytes = b""
    """Bytes after the last newline: an uncommitted, torn write."""
    end: int = 0
    """Offset just after the last complete line."""


def parse_line(number: int, offset: int, data: bytes) -> ScannedLine:
    """Parse one line into an entry, or say precisely why it is not one."""
    try:
        raw = strict_json(data)
    except ValueError as exc:
        return ScannedLine(number, offset, data, None, str(exc))
    try:
        entry = CustodyEntry.from_raw(raw)
    except ValueError as exc:
        return ScannedLine(number, offset, data, None, f"not a custody entry: {exc}")
    return ScannedLine(number, offset, data, entry, None)


def scan(path: Path, start: int = 0, first_line: int = 1) -> LogScan:
    """Read the log from byte ``start`` (a line boundary) to its end."""
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read()
    except FileNotFoundError:
        return LogScan(end=start)
    except OSError as exc:
        raise storage_error("read", path, exc) from exc
    result = LogScan(end=start)
    pos = 0
    number = first_line
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        result.lines.append(parse_line(number, start + pos, data[pos:nl]))
        number += 1
        pos = nl + 1
    result.torn = data[pos:]
    result.end = start + pos
    return result


def append(path: Path, payload: bytes, expected_end: int) -> int:
    """Append complete lines and ``fsync``; returns the new end offset.

    ``expected_end`` is where the caller believes the log ends (it holds the case lock).
    If the write fails part-way the log is cut back to ``expected_end``, so a full
    disk never leaves half an entry behind.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise storage_error("open", path, exc) from exc
    try:
        size = os.fstat(fd).st_size
        if size != expected_end:
            raise StorageError(
                f"the custody log changed while the case was locked ({size} != {expected_end})",
                hint="run 'cybercase verify' and check for another program writing the case",
            )
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, expected_end)
                os.fsync(fd)
            except OSError:
                pass  # the torn tail is set aside at the next open
            raise storage_error("append to", path, exc) from exc
        return expected_end + len(payload)
    finally:
        os.close(fd)


def truncate(path: Path, end: int) -> None:
    """Cut the log back to ``end`` (only ever used to remove a torn tail)."""
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, end)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise storage_error("repair", path, exc) from exc


class Head(BaseModel):
    """``custody.head``: the last committed entry, as its writer knew it.

    ``key`` and ``sig`` are absent only in heads written before heads were signed
    (cybercase 0.1); ``verify`` reports such a head as unsigned.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str | None = None
    seq: int
    hash: str
    key: str | None = None
    """Fingerprint of the custodian key that signed the head."""
    sig: str | None = None
    """Hex Ed25519 signature over :meth:`signed_bytes`."""

    @property
    def signed(self) -> bool:
        """Whether the head carries a signature at all (checked by ``verify``)."""
        return self.key is not None and self.sig is not None

    def signed_bytes(self) -> bytes:
        """The 32 bytes the signature covers: SHA-256 of the canonical head without ``sig``."""
        body = {"format": self.format, "seq": self.seq, "hash": self.hash, "key": self.key}
        return hashlib.sha256(canonical_json(body)).digest()


def read_head(path: Path) -> Head | None:
    """The recorded head, or ``None`` when absent or unreadable (verify reports which)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_HEAD_BYTES + 1)
        if len(data) > MAX_HEAD_BYTES:
            return None
        return Head.model_validate_json(data)
    except (OSError, ValidationError, ValueError, RecursionError):
        return None


def write_head(
    path: Path, seq: int, hash_text: str, key: str, sign: Callable[[bytes], bytes]
) -> None:
    """Record the last committed entry (after its line is durable), signed by ``key``."""
    unsigned = Head(format=HEAD_FORMAT, seq=seq, hash=hash_text, key=key)
    head = unsigned.model_copy(update={"sig": sign(unsigned.signed_bytes()).hex()})
    # A crash may leave the previous head (behind the log), which is a state verify accepts,
    # so the rename need not be made durable on its own: the next append does it.
    write_bytes_durably(path, canonical_json(head.model_dump()) + b"\n", sync_dir=False)
