"""Canonical JSON: the fast path gives exactly RFC 8785's bytes, or is not taken."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.evidence.log.entry import _plain, canonical_json

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
