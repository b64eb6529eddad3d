"""Canonical JSON: the fast path gives exactly RFC 8785's bytes, or is not taken."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.evidence.log.entry import (
    CustodyEntry,
    EntryDraft,
    _plain,
    build_entry,
    canonical_json,
)

SAFE = 2**53 - 1
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-SAFE, SAFE),
    st.text(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(values)
def test_equals_rfc8785(value: Any) -> None:
    try:
        expected = bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        with pytest.raises(InvalidInputError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_keys_that_sort_differently_in_utf16_take_the_library_path() -> None:
    # U+FB01 sorts after U+1F600 by code point, before it by UTF-16 code units.
    value = {"\ufb01": 1, "\U0001f600": 2}
    assert not _plain(value)
    assert canonical_json(value) == bytes(rfc8785.dumps(value))


def test_floats_and_big_integers_take_the_library_path() -> None:
    assert not _plain({"gps": 1.5})
    assert not _plain([2**60])
    assert canonical_json({"gps": -1.0}) == b'{"gps":-1}'


@settings(max_examples=200)
@given(
    st.dictionaries(st.text(max_size=8), values, max_size=5),
    st.lists(st.text(max_size=6), max_size=3),
    st.text(max_size=12),
)
def test_an_entry_line_is_its_canonical_json(
    detail: dict[str, Any], items: list[str], name: str
) -> None:
    """The line :func:`build_entry` splices from the unsigned bytes is the full entry's JCS."""

    def build() -> CustodyEntry:
        return build_entry(
            seq=3,
            at="2026-01-01T00:00:00.000000Z",
            actor_name=name + ',"items":',
            actor_key="sha256:" + "b" * 64,
            draft=EntryDraft("note.added", tuple(items), detail),
            prev=None,
            sign=lambda digest: bytes(64),
        )

    try:
        # What a reader parses must canonicalise too (2.0**53 reads back as an integer).
        rfc8785.dumps(json.loads(rfc8785.dumps(detail)))
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, ValueError):
        with pytest.raises(InvalidInputError):
            build()
        return
    entry = build()
    assert entry.to_line() == bytes(rfc8785.dumps(entry.raw)) + b"\n"
    assert entry.computed_hash() == entry.hash
