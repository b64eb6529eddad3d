"""One chain-of-custody entry: its canonical form, its hash and its signature.

The hash of an entry is the SHA-256 of its RFC 8785 canonical JSON without the
``hash`` and ``sig`` members; the signature is Ed25519 over the 32 raw bytes of that
hash. Each entry names the hash of the one before it in ``prev``, so changing,
removing, inserting or reordering any entry breaks the chain after it. A line on disk
is the canonical JSON of the whole entry, so the file is byte-for-byte reproducible.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import rfc8785

from cybercase.errors import InvalidInputError
from cybercase.evidence.details import Detail, parse_detail

D = TypeVar("D", bound=Detail)

HASH_PREFIX = "sha256:"
ENTRY_FIELDS = ("seq", "at", "actor", "action", "items", "detail", "prev", "hash", "sig")


_MAX_SAFE_INT = 2**53 - 1
_HASH_TEXT = re.compile(r"sha256:[0-9a-f]{64}")
_SIG_TEXT = re.compile(r"[0-9a-f]{128}")
"""Lowercase only: ``sig`` is outside what the hash covers, so another spelling of the same
signature would otherwise give a second, equally valid line for one entry."""
_SURROGATE_OR_ABOVE = "\ud800"
MAX_WRITTEN_DEPTH = 1_000
"""Brackets beyond which a new entry's plainness is walked rather than scanned."""


def plain_depth(value: Any) -> int | None:
    """The nesting depth of ``value`` if the standard library's JSON writer gives exactly
    its RFC 8785 bytes, else ``None``.

    It does for null, booleans, strings, safe integers, lists and objects whose keys hold
    no character at or above U+D800: its escaping of strings is JCS's, and for such keys
    code-point order equals JCS's UTF-16 order. Floats (whose JCS form is ECMAScript's
    number formatting) and anything else go through the ``rfc8785`` library instead.
    The depth comes with it because reading a log line needs both, and one walk is half
    the cost of two.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if item is None or isinstance(item, bool | str):
            continue
        if isinstance(item, int):
            if -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                continue
            return None
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((inner, level + 1) for inner in item)
            continue
        if isinstance(item, dict):
            deepest = max(deepest, level)
            for key, inner in item.items():
                if not isinstance(key, str) or (
                    not key.isascii() and max(key) >= _SURROGATE_OR_ABOVE
                ):
                    return None
                stack.append((inner, level + 1))
            continue
        return None
    return deepest


def _plain(value: Any) -> bool:
    """Whether the standard library's JSON writer gives exactly the RFC 8785 bytes."""
    return plain_depth(value) is not None


def plain_json(value: Any) -> bytes:
    """The standard library's compact, sorted JSON: RFC 8785 when :func:`plain_depth` says so."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class _NotPlainError(ValueError):
    """A number the standard writer does not render as RFC 8785 does (a float, NaN)."""


def _refuse_number(_text: str) -> Any:
    raise _NotPlainError


_PLAIN_DECODER = json.JSONDecoder(parse_float=_refuse_number, parse_constant=_refuse_number)
_NUMBERS = bytes.maketrans(b"0123456789[,", b"0000000000::")
"""Digits to ``0`` and the bytes an array member or object value follows to ``:``, so
that an integer literal of 16 digits or more is a plain substring search."""
_LONG_NUMBER = (b":" + b"0" * 16, b":-" + b"0" * 16)


def plain_bytes(text: str, data: bytes, max_depth: int) -> Any:
    """The value of JSON ``data`` (``text`` decoded) when scans of its bytes show it
    plain, else ``None`` (then :func:`plain_depth` must walk it to know).

    Plain as :func:`plain_depth` says, checked on the bytes: no key at or above U+D800
    (no character of the text is), nesting within ``max_depth`` (fewer brackets than
    that in all), no integer beyond 2**53 (no run of 16 digits where a number can
    start, after the first byte), no float (the parser refuses them). Strings holding
    many brackets, high characters or long digit runs make these scans say no to a
    plain value: that costs a walk, never a wrong answer. The value is parsed from
    ``text``; whether ``data`` is its canonical form is the caller's to compare.
    """
    if (
        (not text.isascii() and max(text) >= _SURROGATE_OR_ABOVE)
        or data.count(b"{") + data.count(b"[") > max_depth
        or not data.startswith((b"{", b"["))
    ):
        return None
    numbers = data.translate(_NUMBERS)
    if _LONG_NUMBER[0] in numbers or _LONG_NUMBER[1] in numbers:
        return None
    try:
        value, _end = _PLAIN_DECODER.raw_decode(text)
    except (json.JSONDecodeError, RecursionError, _NotPlainError):
        return None
    return value


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes.

    Entries are hashed and written on every append, so the common case (no floats, plain
    keys) takes the standard library's C writer; :func:`_plain` says when that is exact,
    and a property test compares both paths with ``rfc8785`` itself.
    """
    try:
        if _plain(value):
            return plain_json(value)
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeEncodeError) as exc:
        raise InvalidInputError(f"value cannot be written as canonical JSON: {exc}") from exc


def entry_hash(body: dict[str, Any]) -> str:
    """``sha256:<hex>`` of an entry's canonical JSON without ``hash`` and ``sig``."""
    unsigned = {k: v for k, v in body.items() if k not in ("hash", "sig")}
    return HASH_PREFIX + hashlib.sha256(canonical_json(unsigned)).hexdigest()


def hash_bytes(hash_text: str) -> bytes:
    """The 32 raw bytes an entry's signature covers."""
    return bytes.fromhex(hash_text.removeprefix(HASH_PREFIX))


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a caller wants logged; the log fills in seq, time, actor, chain and signature."""

    action: str
    items: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, action: str, detail: Detail, items: tuple[str, ...] = ()) -> EntryDraft:
        """A draft whose detail is a typed model (see :mod:`cybercase.evidence.details`)."""
        return cls(action=action, items=items, detail=detail.to_detail())


@dataclass(frozen=True, slots=True)
class CustodyEntry:
    """A signed entry as read from (or written to) ``custody.jsonl``.

    ``raw`` is the entry exactly as parsed; hashes are always recomputed from it, never
    from a re-serialisation, so nothing the model does can hide a change.
    """

    seq: int
    at: str
    actor_name: str
    actor_key: str
    action: str
    items: tuple[str, ...]
    detail: dict[str, Any]
    prev: str | None
    hash: str
    sig: str
    raw: dict[str, Any]
    line: bytes | None = field(default=None, repr=False, compare=False)
    """The line as written, when this process built the entry (:func:`build_entry`)."""

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> CustodyEntry:
        """Read the fields of a parsed line; a missing or mistyped field is a ValueError."""
        if not isinstance(raw, dict):
            raise ValueError("an entry must be a JSON object")
        missing = [name for name in ENTRY_FIELDS if name not in raw]
        if missing:
            raise ValueError(f"missing field(s): {', '.join(missing)}")
        extra = sorted(set(raw) - set(ENTRY_FIELDS))
        if extra:
            raise ValueError(f"unknown field(s): {', '.join(extra)}")
        actor = raw["actor"]
        if not isinstance(actor, dict) or set(actor) != {"name", "key"}:
            raise ValueError("actor must be an object with name and key")
        items = raw["items"]
        checks = (
            isinstance(raw["seq"], int) and not isinstance(raw["seq"], bool),
            isinstance(raw["at"], str),
            isinstance(actor["name"], str) and isinstance(actor["key"], str),
            isinstance(raw["action"], str),
            isinstance(items, list) and all(isinstance(i, str) for i in items),
            isinstance(raw["detail"], dict),
            raw["prev"] is None or isinstance(raw["prev"], str),
            isinstance(raw["hash"], str) and isinstance(raw["sig"], str),
        )
        if not all(checks):
            raise ValueError("a field has the wrong type")
        if not _HASH_TEXT.fullmatch(raw["hash"]) or not _SIG_TEXT.fullmatch(raw["sig"]):
            raise ValueError("hash or sig is not written as lowercase hex of the right length")
        if raw["prev"] is not None and not _HASH_TEXT.fullmatch(raw["prev"]):
            raise ValueError("prev is not written as sha256: and lowercase hex")
        return cls(
            seq=raw["seq"],
            at=raw["at"],
            actor_name=actor["name"],
            actor_key=actor["key"],
            action=raw["action"],
            items=tuple(items),
            detail=raw["detail"],
            prev=raw["prev"],
            hash=raw["hash"],
            sig=raw["sig"],
            raw=raw,
        )

    def detail_as(self, model: type[D]) -> D:
        """This entry's detail read as ``model``; a detail that does not fit is corruption."""
        return parse_detail(model, self.detail, seq=self.seq, action=self.action)

    def computed_hash(self) -> str:
        """The hash this entry should carry, recomputed from its content."""
        return entry_hash(self.raw)

    def to_line(self) -> bytes:
        """The entry's line in ``custody.jsonl`` (canonical JSON and a newline)."""
        if self.line is not None:
            return self.line
        return canonical_json(self.raw) + b"\n"

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict (for ``--json`` output)."""
        return dict(self.raw)


def build_entry(
    *,
    seq: int,
    at: str,
    actor_name: str,
    actor_key: str,
    draft: EntryDraft,
    prev: str | None,
    sign: Callable[[bytes], bytes],
) -> CustodyEntry:
    """Assemble, hash and sign a new entry. ``sign`` maps 32 hash bytes to a signature.

    The entry is canonicalised once: the unsigned bytes are hashed, parsed back (so what
    we hold is exactly what a reader will parse) and, with ``hash`` and ``sig`` spliced in
    at their sorted places, are the line written. Every append of a batch runs this, so
    the detail (most of an entry) is serialised once rather than three times.
    """
    body: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor": {"name": actor_name, "key": actor_key},
        "action": draft.action,
        "items": list(draft.items),
        "detail": draft.detail,
        "prev": prev,
    }
    try:
        unsigned = plain_json(body)
    except (TypeError, ValueError):
        unsigned = b""
    # Sorted keys cannot repeat (keys of mixed types do not sort: TypeError), so bytes the
    # scans clear are the canonical form of what they parse to, which is what is held.
    parsed = plain_bytes(unsigned.decode(), unsigned, MAX_WRITTEN_DEPTH) if unsigned else None
    if parsed is not None:
        body = parsed
    else:
        # Floats or unusual keys: what a reader parses may canonicalise differently (or
        # not at all, e.g. 2.0**53 read back as an integer), so hash the parsed form.
        body = json.loads(canonical_json(body))
        unsigned = canonical_json(body)
    digest = HASH_PREFIX + hashlib.sha256(unsigned).hexdigest()
    signature = sign(hash_bytes(digest)).hex()
    body["hash"] = digest
    body["sig"] = signature
    entry = CustodyEntry.from_raw(body)
    return _with_line(entry, unsigned)


_ITEMS_MEMBER = b',"items":'
_SEQ_MEMBER = b',"seq":'


def _with_line(entry: CustodyEntry, unsigned: bytes) -> CustodyEntry:
    """``entry`` holding its line, built from the canonical bytes of its unsigned body.

    In canonical (sorted) order ``hash`` sits just before ``items`` and ``sig`` comes last;
    ``"items"`` and ``"seq"`` are the last two top-level members before them, so the splice
    points are the last occurrences of their member prefixes (inside a JSON string a
    quote is escaped, so ``,"items":`` cannot occur in one). Should the bytes not have that
    shape, the entry is returned without a line and :meth:`CustodyEntry.to_line`
    canonicalises it in full; a property test compares the splice with ``rfc8785``.
    """
    items_at = unsigned.rfind(_ITEMS_MEMBER)
    seq_at = unsigned.rfind(_SEQ_MEMBER)
    if items_at < 0 or seq_at < items_at or not unsigned.endswith(b"}"):
        return entry
    hash_member = b',"hash":"' + entry.hash.encode("ascii") + b'"'
    sig_member = b',"sig":"' + entry.sig.encode("ascii") + b'"'
    line = unsigned[:items_at] + hash_member + unsigned[items_at:-1] + sig_member + b"}\n"
    return dataclasses.replace(entry, line=line)
