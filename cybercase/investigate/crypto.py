"""Cryptocurrency addresses, accepted only when their checksum holds.

A string that merely looks like an address (34 letters and digits) is common on any
page; one whose checksum holds is almost certainly an address someone copied. So:

- **Bitcoin** legacy and script addresses (``1…``, ``3…``): Base58Check, version byte
  0x00 or 0x05, the double-SHA-256 checksum;
- **Bitcoin** SegWit (``bc1…``): Bech32 (BIP 173) for version 0, Bech32m (BIP 350) for
  later versions, with the program-length rules;
- **Ethereum** (``0x`` + 40 hex): a mixed-case address must pass EIP-55 (Keccak-256 of
  the lowercase hex); an all-lowercase or all-uppercase one carries no checksum and is
  kept, marked ``checksum: false``;
- **Tron** (``T…``): Base58Check with version byte 0x41.

Keccak-256 (not NIST SHA3-256, whose padding differs) is implemented here in a few lines
so that no extra dependency is needed; the tests check it against EIP-55's own vectors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Address", "find_addresses", "keccak256"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

_CANDIDATES = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(?P<b58>[13T][1-9A-HJ-NP-Za-km-z]{25,34})"
    r"|(?P<bech>(?:bc|BC)1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87})"
    r"|(?P<eth>0x[0-9A-Fa-f]{40})"
    r")(?![A-Za-z0-9])"
)


@dataclass(frozen=True, slots=True)
class Address:
    """A cryptocurrency address found in a text."""

    chain: str
    """``btc``, ``eth`` or ``trx``."""
    value: str
    """The address as it links (Ethereum lowercased; Bech32 lowercased)."""
    text: str
    """As written."""
    offset: int
    checksum: bool
    """Whether a checksum was verified (``False`` only for a single-case Ethereum address)."""


def _b58decode(text: str) -> bytes | None:
    number = 0
    for char in text:
        index = _B58_INDEX.get(char)
        if index is None:
            return None
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def _b58check(text: str) -> bytes | None:
    raw = _b58decode(text)
    if raw is None or len(raw) < 5:
        return None
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        return None
    return payload


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def _convert_bits(data: list[int], frm: int, to: int) -> list[int] | None:
    acc, bits, out = 0, 0, []
    maxv = (1 << to) - 1
    for value in data:
        acc = (acc << frm) | value
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & maxv)
    if bits >= frm or ((acc << (to - bits)) & maxv):
        return None
    return out


def _segwit_ok(text: str) -> bool:
    if text.lower() != text and text.upper() != text:
        return False
    lower = text.lower()
    hrp, _, data_part = lower.rpartition("1")
    if hrp != "bc" or len(data_part) < 6:
        return False
    data = [_BECH32.index(c) for c in data_part]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _bech32_polymod(expanded + data)
    version = data[0]
    if const != (1 if version == 0 else 0x2BC830A3):
        return False
    program = _convert_bits(data[1:-6], 5, 8)
    if program is None or not 2 <= len(program) <= 40 or version > 16:
        return False
    return not (version == 0 and len(program) not in (20, 32))


_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_ROT = [
    [0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56], [27, 20, 39, 8, 14],
]  # fmt: skip
_MASK = (1 << 64) - 1


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _keccak_f(state: list[list[int]]) -> None:
    for rc in _RC:
        c = [lane[0] ^ lane[1] ^ lane[2] ^ lane[3] ^ lane[4] for lane in state]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                state[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                r = _ROT[x][y]
                b[y][(2 * x + 3 * y) % 5] = _rotl(state[x][y], r)
        for x in range(5):
            for y in range(5):
                state[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        state[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA-3's 0x06)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\0" * ((rate - (len(data) + 1) % rate) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for block in range(0, len(padded), rate):
        chunk = padded[block : block + rate]
        for i in range(rate // 8):
            state[i % 5][i // 5] ^= int.from_bytes(chunk[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    out = b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eip55(address_hex: str) -> str:
    """The EIP-55 mixed-case form of 40 hex digits (without ``0x``)."""
    lower = address_hex.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(lower))


def find_addresses(text: str) -> Iterator[Address]:
    """Every address in ``text`` whose checksum holds, in order."""
    for match in _CANDIDATES.finditer(text):
        written = match.group(0)
        start = match.start()
        if match.group("b58"):
            payload = _b58check(written)
            if payload is None or len(payload) != 21:
                continue
            version = payload[0]
            if written[0] in "13" and version in (0x00, 0x05):
                yield Address("btc", written, written, start, True)
            elif written[0] == "T" and version == 0x41:
                yield Address("trx", written, written, start, True)
        elif match.group("bech"):
            if _segwit_ok(written):
                yield Address("btc", written.lower(), written, start, True)
        else:
            digits = written[2:]
            if digits.lower() == digits or digits.upper() == digits:
                yield Address("eth", "0x" + digits.lower(), written, start, False)
            elif eip55(digits) == digits:
                yield Address("eth", "0x" + digits.lower(), written, start, True)
