"""Reading HTTP response heads exactly as received (bytes, not a parsed object).

The WARC keeps the head as the server sent it, so it is cut from the stream here and
read only as far as the capture needs (1xx statuses, Retry-After).
"""

from __future__ import annotations

import re

_HEAD_END = re.compile(rb"\r?\n\r?\n")


def split_head(buffer: bytes) -> tuple[bytes | None, list[int]]:
    """The final response head in what was read, and the 1xx statuses before it."""
    pos = 0
    informational: list[int] = []
    while True:
        match = _HEAD_END.search(buffer, pos)
        if match is None:
            return None, informational
        head = buffer[pos : match.end()]
        parts = head.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1][:3].isdigit() else 0
        if 100 <= status < 200 and status != 101:
            informational.append(status)
            pos = match.end()
            continue
        return head, informational


def drop_header(head: bytes, name: bytes) -> bytes:
    """The head without the lines of one header (used for Transfer-Encoding)."""
    lines = head.splitlines(keepends=True)
    kept = [lines[0]] + [
        line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() != name.lower()
    ]
    return b"".join(kept)


def latin1(value: bytes) -> str:
    """Header bytes as text, byte for byte (HTTP/1.1 heads are ISO-8859-1 at most)."""
    return value.decode("latin-1")


def retry_after_seconds(headers: list[tuple[bytes, bytes]]) -> float | None:
    for name, value in headers:
        if name.lower() == b"retry-after":
            try:
                return max(0.0, float(value.decode("ascii").strip()))
            except ValueError:
                return None
    return None
