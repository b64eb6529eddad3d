"""Entities in a text: phones, e-mails, URLs, handles, wallets and prices, with offsets.

Every entity has a ``kind``, a normalised ``value`` (what two items must share to be
linked) and keeps what was written and where. Normalisation is what makes a lead:

- ``phone``: E.164 through Google's libphonenumber (the ``phonenumbers`` package), which
  reads ``+1 202-555-0147``, ``(202) 555-0147`` (with US as the default region) and
  ``001 202 555 0147`` as ``+12025550147``. A number counts when libphonenumber judges it
  *valid* (in an assigned range), or when it is written in international form (``+44…``)
  and has a possible length: then it is kept with a note, as the fiction ranges of the
  training marketplace are. Numbers written without a country code are read in the
  default region from the configuration (``[investigate] default_region``).
- ``email``: lowercased.
- ``url``: as written, without a trailing punctuation mark.
- ``handle``: ``@name`` (lowercased), not the part of an e-mail address after its ``@``.
- ``telegram``, ``whatsapp``, ``wechat``, ``line``: from ``t.me/name``, ``wa.me/NUMBER``
  (a phone too), and ``WeChat: id`` / ``微信：id`` / ``Line ID: id``, lowercased.
- ``btc``, ``eth``, ``trx``: addresses whose checksum holds (:mod:`.crypto`).
- ``price``: amount and ISO 4217 currency (:mod:`.prices`), value ``USD 390``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from cybercase.investigate.crypto import find_addresses
from cybercase.investigate.prices import find_prices

__all__ = ["KINDS", "Entity", "find_entities"]

KINDS = (
    "phone", "email", "url", "handle", "telegram", "whatsapp", "wechat", "line",
    "btc", "eth", "trx", "price",
)  # fmt: skip
"""Every entity kind, in the order reports list them."""

LINKING_KINDS = frozenset(KINDS) - {"price", "url"}
"""Kinds that link items when two share a value (a shared price or URL is no lead)."""

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)")
_TELEGRAM = re.compile(r"\b(?:t\.me|telegram\.me)/([A-Za-z0-9_]{4,32})\b", re.IGNORECASE)
_WHATSAPP = re.compile(r"\bwa\.me/\+?(\d{6,15})\b", re.IGNORECASE)
_MESSENGER = re.compile(
    r"(?P<app>wechat|weixin|微信|line)(?:\s*id)?\s*[:：]\s*(?P<id>[A-Za-z][A-Za-z0-9_.-]{2,29})",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\"»”’"


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity found in a text."""

    kind: str
    value: str
    """The normalised value two items must share to be linked."""
    text: str
    """As written."""
    offset: int
    """Character offset in the text."""
    note: str | None = None
    """E.g. ``no checksum`` for a single-case Ethereum address."""


def _phones(text: str, region: str | None) -> Iterator[Entity]:
    import phonenumbers

    matcher = phonenumbers.PhoneNumberMatcher(
        text, region or None, leniency=phonenumbers.Leniency.POSSIBLE, max_tries=10_000
    )
    for match in matcher:
        note = None
        if not phonenumbers.is_valid_number(match.number):
            if not match.raw_string.lstrip("(").startswith("+"):
                continue
            note = "written in international form, but not in an assigned range"
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield Entity("phone", e164, match.raw_string, match.start, note)


def find_entities(text: str, *, region: str | None = None) -> list[Entity]:
    """Every entity in ``text``, ordered by offset then kind.

    ``region`` is the ISO 3166 country whose numbering plan applies to numbers written
    without a country code (``GB``, ``KE``); without one, such numbers are not read.
    """
    found: list[Entity] = list(_phones(text, region))
    emails = list(_EMAIL.finditer(text))
    taken = [(m.start(), m.end()) for m in emails]
    found.extend(Entity("email", m.group(0).lower(), m.group(0), m.start()) for m in emails)
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        found.append(Entity("url", url, url, m.start()))
    for m in _HANDLE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append(Entity("handle", m.group(1).lower(), m.group(0), m.start()))
    for m in _TELEGRAM.finditer(text):
        found.append(Entity("telegram", m.group(1).lower(), m.group(0), m.start()))
    for m in _WHATSAPP.finditer(text):
        number = "+" + m.group(1)
        found.append(Entity("whatsapp", number, m.group(0), m.start()))
        found.extend(Entity("phone", p.value, m.group(0), m.start()) for p in _phones(number, None))
    for m in _MESSENGER.finditer(text):
        app = m.group("app").lower()
        kind = "line" if app == "line" else "wechat"
        ident = m.group("id").rstrip(".-")
        found.append(Entity(kind, ident.lower(), m.group(0).rstrip(".-"), m.start()))
    for address in find_addresses(text):
        found.append(
            Entity(
                address.chain,
                address.value,
                address.text,
                address.offset,
                None if address.checksum else "no checksum (single-case address)",
            )
        )
    for price in find_prices(text):
        found.append(Entity("price", f"{price.currency} {price.amount}", price.text, price.offset))
    unique = {(e.kind, e.value, e.offset): e for e in found}
    return sorted(unique.values(), key=lambda e: (e.offset, KINDS.index(e.kind)))
