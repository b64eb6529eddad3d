"""Entities: one E.164 value per phone however written, checksummed wallets, handles."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.investigate.crypto import _B58, eip55, find_addresses, keccak256
from cybercase.investigate.entities import find_entities

THREE_WAYS = ("+1 202-555-0147", "(202) 555-0147", "202.555.0147")


def test_a_phone_written_three_ways_is_one_e164_value() -> None:
    text = "Call " + ", or ".join(THREE_WAYS) + "."
    phones = [e for e in find_entities(text, region="US") if e.kind == "phone"]
    assert [e.text for e in phones] == list(THREE_WAYS)
    assert {e.value for e in phones} == {"+12025550147"}
    for e in phones:
        assert text[e.offset : e.offset + len(e.text)] == e.text


def test_national_numbers_need_a_region() -> None:
    assert [e for e in find_entities("(202) 555-0147") if e.kind == "phone"] == []


def test_international_fiction_range_is_kept_with_a_note() -> None:
    (phone,) = [e for e in find_entities("Tel +44 7700 900142") if e.kind == "phone"]
    assert phone.value == "+447700900142" and phone.note


def test_handles_messengers_emails() -> None:
    text = (
        "Mail Bonecraft@Mail.example, DM @Bonecraft_Deals, t.me/bonecraft_shop, "
        "wa.me/12025550147, WeChat: bone_craft88. 微信：ivory88. Line ID: tusk.trader"
    )
    found = {(e.kind, e.value) for e in find_entities(text)}
    assert {
        ("email", "bonecraft@mail.example"),
        ("handle", "bonecraft_deals"),
        ("telegram", "bonecraft_shop"),
        ("whatsapp", "+12025550147"),
        ("phone", "+12025550147"),
        ("wechat", "bone_craft88"),
        ("wechat", "ivory88"),
        ("line", "tusk.trader"),
    } <= found
    assert ("handle", "mail.example") not in found


VALID = {
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": "btc",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy": "btc",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4": "btc",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0": "btc",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": "eth",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359": "eth",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB": "eth",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb": "eth",
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": "trx",
}


@pytest.mark.parametrize(("address", "chain"), sorted(VALID.items()))
def test_valid_addresses(address: str, chain: str) -> None:
    (found,) = find_addresses(f"pay to {address} today")
    assert (found.chain, found.text, found.checksum) == (chain, address, True)


@pytest.mark.parametrize(
    "address",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",
        "bc1QW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ],
)
def test_a_broken_checksum_is_not_an_address(address: str) -> None:
    assert list(find_addresses(address)) == []


def test_single_case_ethereum_is_kept_without_checksum() -> None:
    (found,) = find_addresses("0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb")
    assert found.checksum is False and found.value == "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb"


def test_keccak_known_answers() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"a" * 200).hex() != hashlib.sha3_256(b"a" * 200).hexdigest()


@given(st.binary(min_size=20, max_size=20))
def test_eip55_round_trips(raw: bytes) -> None:
    mixed = eip55(raw.hex())
    text = "0x" + mixed
    (found,) = find_addresses(text)
    assert found.value == "0x" + raw.hex()
    assert found.checksum == (mixed.lower() != mixed and mixed.upper() != mixed)


def _b58check(version: int, payload: bytes) -> str:
    body = bytes([version]) + payload
    data = body + hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


@given(st.binary(min_size=20, max_size=20), st.sampled_from([0x00, 0x05, 0x41]))
def test_base58check_addresses_round_trip(payload: bytes, version: int) -> None:
    address = _b58check(version, payload)
    found = list(find_addresses(f"send to {address}."))
    assert [(a.chain, a.value) for a in found] == [
        ({0x00: "btc", 0x05: "btc", 0x41: "trx"}[version], address)
    ]
