"""Prices: the same text always reads as the same amount and ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.investigate.prices import CODES, Price, find_prices


@pytest.mark.parametrize(
    ("text", "amount", "currency", "matched"),
    [
        ("Price: $1,200 only", "1200", "USD", "$1,200"),
        ("1 200 € net", "1200", "EUR", "1 200 €"),
        ("KSh 45,000 ono", "45000", "KES", "KSh 45,000"),
        ("3000元包邮", "3000", "CNY", "3000元"),
        ("ราคา 2500 บาท", "2500", "THB", "2500 บาท"),
        ("2,500 baht", "2500", "THB", "2,500 baht"),
        ("12,50 €", "12.50", "EUR", "12,50 €"),
        ("cost 1.200,50 EUR", "1200.50", "EUR", "1.200,50 EUR"),
        ("5k KES", "5000", "KES", "5k KES"),
        ("R$ 1.500", "1500", "BRL", "R$ 1.500"),
        ("US$ 99.99", "99.99", "USD", "US$ 99.99"),
        ("1,000,000 VND", "1000000", "VND", "1,000,000 VND"),
        ("100 USDT", "100", "USDT", "100 USDT"),
        ("¥3000", "3000", "CNY", "¥3000"),
        ("only 300usd", "300", "USD", "300usd"),
    ],
)
def test_reads_amount_and_currency(text: str, amount: str, currency: str, matched: str) -> None:
    (price,) = find_prices(text)
    assert price.amount == Decimal(amount)
    assert price.currency == currency
    assert price.text == matched
    assert text[price.offset : price.offset + len(price.text)] == matched


@pytest.mark.parametrize(
    "text", ["item 42 sold", "5kg for 3 pieces", "1 kg bags", "the USDA says 40", "dollars 50"]
)
def test_a_number_without_a_marker_is_not_a_price(text: str) -> None:
    assert find_prices(text) == []


def test_several_prices_in_order() -> None:
    text = "was $450, now $390 (or 35,000 KSh)"
    assert [(p.amount, p.currency) for p in find_prices(text)] == [
        (Decimal(450), "USD"),
        (Decimal(390), "USD"),
        (Decimal(35000), "KES"),
    ]


def test_training_listing_price_is_read() -> None:
    from cybercase.training import catalogue

    item = catalogue.listing("1004")
    assert item is not None
    text = f"{item.title} — {item.currency} {item.price_on(catalogue.LATER_DAY)}"
    assert find_prices(text) == [
        Price(Decimal(390), "USD", offset=text.index("USD"), text="USD 390")
    ]


@given(
    whole=st.integers(min_value=0, max_value=10**9),
    cents=st.integers(min_value=0, max_value=99),
    code=st.sampled_from(sorted(CODES)),
)
def test_formatted_amounts_read_back(whole: int, cents: int, code: str) -> None:
    english = f"{whole:,}.{cents:02d} {code}"
    european = f"{whole:,}".replace(",", ".") + f",{cents:02d} {code}"
    expected = Decimal(whole) + Decimal(cents) / 100
    for text in (english, european):
        (price,) = find_prices(text)
        assert (price.amount, price.currency) == (expected, code)
