"""Prices written in a page's text, read as an amount and an ISO 4217 currency.

A price is evidence of an offer to sell (and, between two captures of one listing, of a
price change the monitor reports), so the reading must be the same every time for the
same text: no locale of the workstation, no exchange rate, no guess from the page's
language. The rules, in full:

- a currency marker stands right before or right after the number, with at most one
  space (or no-break space) between: ``$1,200``, ``1 200 €``, ``KSh 45,000``,
  ``3000元``, ``2,500 baht``, ``USD 300``. A number with no marker is not a price.
- markers are the ISO 4217 codes in :data:`CODES`, the symbols and words in
  :data:`MARKERS`. An ambiguous symbol is read as the table says and nothing else:
  ``$`` is USD, ``¥``/``￥`` is CNY (use ``円`` or ``JPY`` for yen), ``R$`` is BRL.
  ``dollars``, ``pesos``, ``shillings`` alone are not read (too many currencies).
- thousands separators: ``,`` ``.`` space, no-break space, thin space, apostrophe. With
  both ``,`` and ``.`` in a number the last one is the decimal mark; with one kind only,
  it is a thousands separator when it is followed by exactly three digits
  (``1.200`` and ``1,200`` are both 1200) or appears more than once, else the decimal
  mark (``12,50 €`` is 12.50).
- a ``k`` right after the number multiplies by 1000 (``5k KES``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["CODES", "MARKERS", "Price", "find_prices"]

_CODE_LIST = """AED ARS AUD BDT BRL CAD CHF CLP CNY COP CZK DKK EGP ETB EUR GBP GHS HKD HUF IDR ILS
    INR JPY KES KHR KRW LAK LKR MAD MMK MXN MYR MZN NGN NOK NPR NZD PHP PKR PLN QAR RUB SAR
    SEK SGD THB TRY TWD TZS UAH UGX USD VND XAF XOF ZAR ZMW ZWL BTC USDT ETH"""
CODES: frozenset[str] = frozenset(_CODE_LIST.split())
"""ISO 4217 codes read as markers (written in capitals), plus BTC, USDT and ETH, which
sellers quote although they are not ISO 4217 codes."""

MARKERS: dict[str, str] = {
    "US$": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "块": "CNY",
    "人民币": "CNY",
    "RMB": "CNY",
    "yuan": "CNY",
    "円": "JPY",
    "₹": "INR",
    "Rs": "INR",
    "rupees": "INR",
    "฿": "THB",
    "บาท": "THB",
    "baht": "THB",
    "₫": "VND",
    "đồng": "VND",
    "dong": "VND",
    "₦": "NGN",
    "naira": "NGN",
    "₱": "PHP",
    "₩": "KRW",
    "R$": "BRL",
    "reais": "BRL",
    "KSh": "KES",
    "Ksh": "KES",
    "Kshs": "KES",
    "TSh": "TZS",
    "Tsh": "TZS",
    "USh": "UGX",
    "Ush": "UGX",
    "RM": "MYR",
    "ringgit": "MYR",
    "Rp": "IDR",
    "rupiah": "IDR",
    "HK$": "HKD",
    "S$": "SGD",
    "A$": "AUD",
    "C$": "CAD",
    "NT$": "TWD",
    "euros": "EUR",
    "euro": "EUR",
    "dollars US": "USD",
    "US dollars": "USD",
}
"""Symbols and words read as a currency; words match case-insensitively."""


@dataclass(frozen=True, slots=True)
class Price:
    """One price found in a text."""

    amount: Decimal
    """The amount, exact (never a float): ``Decimal('1200.50')``."""
    currency: str
    """The ISO 4217 code (or BTC, USDT, ETH)."""
    offset: int
    """Character offset of the match in the text given to :func:`find_prices`."""
    text: str
    """The matched text as written, marker included: ``'KSh 45,000'``."""


_SEP = "[,.\u00a0\u202f\u2009 ']"
_NUMBER = rf"\d{{1,3}}(?:{_SEP}\d{{3}})+(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?"
_GAP = "[ \u00a0\u202f\u2009]?"


def _marker_pattern(token: str, *, before_number: bool) -> str:
    """A marker's regex, word-bounded on the side where it is a Latin word."""
    body = re.escape(token).replace(r"\ ", " ")
    if token[0].isascii() and token[0].isalpha() and before_number:
        body = r"(?<![^\W\d_])" + body
    if token[-1].isalpha() and not before_number and not _is_cjk_or_thai(token[-1]):
        body = body + r"(?![^\W\d_])"
    return body


def _is_cjk_or_thai(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "THAI", "HIRAGANA", "KATAKANA"))


def _build() -> re.Pattern[str]:
    tokens = sorted({*MARKERS, *CODES}, key=len, reverse=True)
    before = "|".join(_marker_pattern(t, before_number=True) for t in tokens)
    after = "|".join(_marker_pattern(t, before_number=False) for t in tokens)
    number = rf"(?<![\d.,])(?:{_NUMBER})(?![\d])"
    pattern = (
        rf"(?P<pre>{before}){_GAP}(?P<n1>{number})(?P<k1>k\b)?(?![A-Za-z0-9])"
        rf"|(?P<n2>{number})(?P<k2>k)?{_GAP}(?P<post>{after})"
    )
    return re.compile(pattern, re.IGNORECASE)


_PATTERN = _build()
_LOOKUP = {token.casefold(): code for token, code in MARKERS.items()} | {
    code.casefold(): code for code in CODES
}


def _amount(number: str) -> Decimal | None:
    """The number as a Decimal, by the separator rules in the module's docstring."""
    digits = "".join(
        str(unicodedata.digit(ch)) if ch.isdigit() else ch
        for ch in number
        if ch not in "\u00a0\u202f\u2009 '"
    )
    marks = [ch for ch in digits if ch in ",."]
    if marks:
        last = max(digits.rfind(","), digits.rfind("."))
        decimal_mark: str | None
        if len(set(marks)) == 2:
            decimal_mark = digits[last]
        elif len(marks) > 1 or len(digits) - last - 1 == 3:
            decimal_mark = None
        else:
            decimal_mark = digits[last]
        if decimal_mark is None:
            digits = digits.replace(",", "").replace(".", "")
        else:
            whole, frac = digits[:last], digits[last + 1 :]
            digits = whole.replace(",", "").replace(".", "") + "." + frac
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def find_prices(text: str) -> list[Price]:
    """Every price in ``text``, in order of position.

    A marker is only taken in the case shown in :data:`MARKERS` for the codes (``usd``
    in lower case is read too; sellers write it so) — the match is case-insensitive, so
    ``ksh 300`` is KES. Amounts are exact ``Decimal`` values, never rounded.
    """
    found: list[Price] = []
    for match in _PATTERN.finditer(text):
        marker = match.group("pre") or match.group("post")
        number = match.group("n1") or match.group("n2")
        kilo = match.group("k1") or match.group("k2")
        currency = _LOOKUP.get(marker.casefold())
        amount = _amount(number)
        if currency is None or amount is None:
            continue
        if kilo:
            amount *= 1000
        found.append(
            Price(amount=amount, currency=currency, offset=match.start(), text=match.group(0))
        )
    return found
