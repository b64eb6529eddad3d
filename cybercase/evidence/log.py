"""The custody log file: reading lines, spotting a torn tail, appending durably.

``custody.jsonl`` is append-only: one canonical-JSON entry per line, each line ending
with a newline. An entry is committed once its whole line, newline included, has been
written and ``fsync``-ed. A crash can therefore leave only one kind of damage: a last
segment without its newline (a *torn tail*), which was never committed.

``custody.head`` records the seq and hash of the last committed entry, written after
each append. It lets ``verify`` notice that committed entries were cut off the end of
the log, which the hash chain alone cannot show.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from cybercase.errors import StorageError
from cybercase.evidence.entry import CustodyEntry
from cybercase.evidence.fsio import storage_error, write_bytes_durably

LOG_NAME = "custody.jsonl"
HEAD_NAME = "custody.head"


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
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return ScannedLine(
            number,
            offset,
            data,
            None,
            f"not valid JSON ({exc.msg})"
            if isinstance(exc, json.JSONDecodeError)
            else "not valid UTF-8",
        )
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
    """``custody.head``: the last committed entry, as its writer knew it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int
    hash: str


def read_head(path: Path) -> Head | None:
    """The recorded head, or ``None`` when absent or unreadable (verify reports which)."""
    try:
        return Head.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def write_head(path: Path, seq: int, hash_text: str) -> None:
    """Record the last committed entry (after its line is durable)."""
    # A crash may leave the previous head (behind the log), which is a state verify accepts,
    # so the rename need not be made durable on its own: the next append does it.
    write_bytes_durably(
        path, Head(seq=seq, hash=hash_text).model_dump_json().encode() + b"\n", sync_dir=False
    )
