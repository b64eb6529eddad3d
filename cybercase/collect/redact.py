"""The investigator's own secrets never reach the evidence unless asked for.

What the investigator *sends* may let anyone who receives the evidence act as them: a
logged-in session (Cookie, from ``--cookies`` or a server's earlier Set-Cookie), an
Authorization or Proxy-Authorization header, an API key given with ``-H``, a password
written in the URL. By default every such value is replaced, in the WARC's request
records and in the capture record, by a placeholder naming its keyed hash (HMAC-SHA256
under the investigator's redaction key, :mod:`cybercase.evidence.keys.redaction`): the
alteration is visible and declared in the record, and only the investigator can later
confirm a value against it.

Every header given with ``-H``/``--header`` (or ``[capture] headers``) is treated as
secret unless marked safe with ``--keep-header NAME``. ``--keep-secrets`` keeps every
value verbatim (and the record says so). What the *server* sent (Set-Cookie, a page
echoing the request) is its evidence, and is kept.

User-info in a URL (``http://user:password@host/``) is never part of a request on the
wire: it is split off before anything is stored (:func:`split_credentials`), sent as
HTTP Basic authentication to that origin only, and recorded as "withheld" with its
keyed hash.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from cybercase.collect.record import Redaction, UrlCredentials
from cybercase.evidence.keys.redaction import ALGORITHM, RedactionKey, load_redaction_key
from cybercase.settings import user_home

SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
_LINE = re.compile(rb"^([!#$%&'*+.^_`|~0-9A-Za-z-]+)([ \t]*:[ \t]*)(.*?)([ \t]*)(\r?\n)$")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")


class Redactor:
    """Replaces the values of secret headers; safe to share between threads.

    ``secret_names`` are lower-case header names. The key is loaded (and made, the first
    time) only when a value is actually withheld.
    """

    def __init__(
        self,
        secret_names: Iterable[str] = SECRET_HEADERS,
        key: RedactionKey | Callable[[], RedactionKey] | None = None,
    ) -> None:
        self.secret_names = frozenset(n.lower() for n in secret_names)
        self._key = key if isinstance(key, RedactionKey) else None
        self._source: Callable[[], RedactionKey] = (
            key if callable(key) else (lambda: load_redaction_key(user_home()))
        )
        self._lock = threading.Lock()

    @classmethod
    def for_headers(
        cls,
        extra_headers: Iterable[str],
        kept: Iterable[str] = (),
        key: RedactionKey | Callable[[], RedactionKey] | None = None,
    ) -> Redactor:
        """Cookie, Authorization, Proxy-Authorization and every extra header not kept."""
        safe = {n.lower() for n in kept} - SECRET_HEADERS
        names = SECRET_HEADERS | ({n.lower() for n in extra_headers} - safe)
        return cls(names, key)

    def key(self) -> RedactionKey:
        """The redaction key (loaded once)."""
        with self._lock:
            if self._key is None:
                self._key = self._source()
            return self._key

    def is_secret(self, name: str) -> bool:
        """Whether values of header ``name`` are withheld."""
        return name.lower() in self.secret_names

    def placeholder(self, value: bytes) -> tuple[str, str]:
        """``(placeholder text, hmac-sha256:<hex>)`` for a secret value."""
        key = self.key()
        digest = key.digest(value)
        return f"[redacted by cybercase: {digest} key {key.key_id}]", digest

    def head(self, head: bytes, where: str) -> tuple[bytes, list[Redaction]]:
        """Replace secret header values in a raw HTTP request head (all other bytes kept)."""
        out: list[bytes] = []
        found: list[Redaction] = []
        for line in head.splitlines(keepends=True):
            match = _LINE.match(line)
            if match and self.is_secret(match.group(1).decode("ascii")) and match.group(3):
                text, digest = self.placeholder(match.group(3))
                found.append(
                    Redaction(
                        where=where,
                        header=match.group(1).decode("ascii"),
                        algorithm=ALGORITHM,
                        key_id=self.key().key_id,
                        digest=digest,
                        placeholder=text,
                    )
                )
                line = (
                    match.group(1)
                    + match.group(2)
                    + text.encode("ascii")
                    + match.group(4)
                    + match.group(5)
                )
            out.append(line)
        return b"".join(out), found

    def pairs(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The same replacement on parsed header pairs (values are latin-1 text)."""
        result: list[tuple[str, str]] = []
        for name, value in pairs:
            if self.is_secret(name) and value:
                value = self.placeholder(value.encode("latin-1"))[0]
            result.append((name, value))
        return result

    def credentials(self, creds: Credentials, *, kept: bool = False) -> UrlCredentials:
        """What the record says about credentials taken from a URL.

        ``kept`` (``--keep-secrets``): the Authorization header carrying them is kept
        verbatim in the WARC; no stored URL carries them either way.
        """
        key = self.key()
        return UrlCredentials(
            status="kept" if kept else "withheld",
            sent_to=creds.origin,
            key_id=key.key_id,
            digest=key.digest(f"{creds.username}:{creds.password}".encode()),
        )


_default: Redactor | None = None


def _default_redactor() -> Redactor:
    global _default
    if _default is None:
        _default = Redactor()
    return _default


def redact_head(
    head: bytes, where: str, redactor: Redactor | None = None
) -> tuple[bytes, list[Redaction]]:
    """:meth:`Redactor.head` with Cookie, Authorization and Proxy-Authorization."""
    return (redactor or _default_redactor()).head(head, where)


def redact_pairs(
    pairs: list[tuple[str, str]], redactor: Redactor | None = None
) -> list[tuple[str, str]]:
    """:meth:`Redactor.pairs` with Cookie, Authorization and Proxy-Authorization."""
    return (redactor or _default_redactor()).pairs(pairs)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password taken out of a URL, and where they may be sent."""

    username: str
    password: str
    origin: str
    """``scheme://host:port``: they are sent to this origin only."""

    def __repr__(self) -> str:
        return f"Credentials(origin={self.origin!r}, withheld)"

    def authorization(self) -> str:
        """The ``Authorization`` header value (HTTP Basic)."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def applies_to(self, url: str) -> bool:
        """Whether ``url`` is on the origin the credentials were given for."""
        return origin_of(url) == self.origin


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` (port always written) of an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if scheme == "https" else 80)
    host = parts.hostname
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"


def strip_userinfo(url: str) -> str:
    """``url`` without anything before ``@`` in its authority."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_credentials(url)
    if "@" not in parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """The URL as it may be stored, and the credentials it carried (if any)."""
    clean = strip_userinfo(url)
    if clean == url:
        return url, None
    parts = urlsplit(url)
    origin = origin_of(clean)
    if origin is None or (not parts.username and not parts.password):
        return clean, None
    creds = Credentials(
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        origin=origin,
    )
    return clean, creds


def mask_credentials(text: str) -> str:
    """Any ``scheme://user:password@`` in free text, masked (for error messages)."""
    return _USERINFO.sub(r"\1***@", text)


__all__ = [
    "SECRET_HEADERS",
    "Credentials",
    "Redactor",
    "mask_credentials",
    "origin_of",
    "redact_head",
    "redact_pairs",
    "split_credentials",
    "strip_userinfo",
]
