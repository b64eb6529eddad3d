"""The investigator's own secrets never reach the evidence unless asked for.

Cookie, Authorization and Proxy-Authorization values the investigator *sent* (a
logged-in session, an API token) would let anyone who receives the evidence act as the
investigator. By default their values are replaced, in the WARC's request records and in
the capture record, by a placeholder naming the SHA-256 of the value: the alteration is
visible, declared in the record, and a value can still be matched against it later
without being disclosed. ``--keep-secrets`` keeps them verbatim (and the record says so).
What the *server* sent (Set-Cookie) is its evidence, and is kept.
"""

from __future__ import annotations

import hashlib
import re

from cybercase.collect.record import Redaction

SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
_LINE = re.compile(rb"^([!#$%&'*+.^_`|~0-9A-Za-z-]+)([ \t]*:[ \t]*)(.*?)([ \t]*)(\r?\n)$")


def placeholder_for(value: bytes) -> tuple[str, str]:
    """``(placeholder text, sha256:<hex>)`` for a secret value."""
    digest = "sha256:" + hashlib.sha256(value).hexdigest()
    return f"[redacted by cybercase: {digest}]", digest


def redact_head(head: bytes, where: str) -> tuple[bytes, list[Redaction]]:
    """Replace secret header values in a raw HTTP request head (all other bytes unchanged)."""
    out: list[bytes] = []
    found: list[Redaction] = []
    for line in head.splitlines(keepends=True):
        match = _LINE.match(line)
        if match and match.group(1).lower().decode("ascii") in SECRET_HEADERS and match.group(3):
            text, digest = placeholder_for(match.group(3))
            name = match.group(1).decode("ascii")
            found.append(Redaction(where=where, header=name, sha256=digest, placeholder=text))
            line = (
                match.group(1)
                + match.group(2)
                + text.encode("ascii")
                + match.group(4)
                + match.group(5)
            )
        out.append(line)
    return b"".join(out), found


def redact_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The same replacement on parsed header pairs (values are latin-1 text)."""
    result: list[tuple[str, str]] = []
    for name, value in pairs:
        if name.lower() in SECRET_HEADERS and value:
            value = placeholder_for(value.encode("latin-1"))[0]
        result.append((name, value))
    return result
