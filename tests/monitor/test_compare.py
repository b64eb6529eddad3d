"""Comparing two captures' facts: prices read incrementally, diffs, gone pages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.investigate.prices import find_prices
from cybercase.monitor.compare import text_diff
from cybercase.monitor.facts import gone_reason, prices_of

LINES = st.sampled_from(
    [
        "Price: USD 450",
        "Now only €1,250.00 or best offer",
        "Carved bangle, 40 cm",
        "Shipping 25 EUR worldwide, KSh 3,000 locally",
        "Item 7 of 12",
        "",
        "Contact seller",
        "1 200 € le lot",
    ]
)
TEXTS = st.lists(LINES, max_size=25).map("\n".join)


def _plain(text: str) -> list[tuple[str, str, str]]:
    return [(str(p.amount), p.currency, p.text) for p in find_prices(text)]


@settings(max_examples=150, deadline=None)
@given(before=TEXTS, after=TEXTS)
def test_incremental_prices_equal_a_full_read(before: str, after: str) -> None:
    known = prices_of(before, None, [])
    assert [(p.amount, p.currency, p.text) for p in known] == _plain(before)
    found = prices_of(after, before, known)
    assert [(p.amount, p.currency, p.text) for p in found] == _plain(after)
    assert all(p.line is not None and p.text in after.splitlines()[p.line] for p in found)


def test_text_diff_counts_and_bounds() -> None:
    diff, added, removed, truncated = text_diff("a\nb\nc", "a\nB\nc\nd")
    assert (added, removed, truncated) == (2, 1, False)
    assert "+B" in diff and "-b" in diff
    big, _, _, cut = text_diff("", "\n".join(f"line {n}" for n in range(1000)))
    assert cut and len(big.splitlines()) <= 200


def test_gone_reasons() -> None:
    url = "https://shop.example/listing/1"
    assert gone_reason(url, "http-error", 410, url, None) == "HTTP 410"
    home = gone_reason(url, "captured", 200, "https://shop.example/", "Welcome")
    assert home is not None and "home page" in home
    search = gone_reason(url, "captured", 200, "https://shop.example/search?q=ivory", "x")
    assert search is not None and "search page" in search
    said = gone_reason(url, "captured", 200, url, "This listing has been removed\nSorry")
    assert said is not None and said.startswith("the page says")
    assert gone_reason(url, "captured", 200, "https://other.example/", "x") is None
    assert gone_reason(url, "captured", 200, url, "Price: USD 450") is None
