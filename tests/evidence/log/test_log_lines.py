"""Reading a log line: the quick path accepts exactly what the full checks accept."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.errors import InvalidInputError
from cybercase.evidence.log.entry import canonical_json
from cybercase.evidence.log.jsonl import MAX_DEPTH, checked_json, strict_json

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.text(max_size=6),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=25,
)


def _spellings(value: Any) -> list[bytes]:
    """The canonical line and other spellings of the same content."""
    found = [json.dumps(value).encode(), json.dumps(value, ensure_ascii=True).encode()]
    with contextlib.suppress(InvalidInputError):
        found.append(canonical_json(value))
    return found


def _verdict(check: Any, data: bytes) -> tuple[bool, Any]:
    try:
        return True, check(data)
    except ValueError:
        return False, None


@settings(max_examples=300)
@given(values)
def test_quick_and_full_checks_agree(value: Any) -> None:
    for data in _spellings(value):
        quick = _verdict(strict_json, data)
        full = _verdict(lambda d: checked_json(d.decode("utf-8"), d), data)
        assert quick == full


def test_a_duplicate_key_is_refused_and_named() -> None:
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        strict_json(b'{"a":1,"a":1}')


def test_nesting_just_over_the_bound_is_refused() -> None:
    deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="nested deeper"):
        strict_json(deep)
    fits = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert strict_json(fits) == json.loads(fits)
