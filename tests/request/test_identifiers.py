"""Identifiers: typed by hand, or read from captured and imported items."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.digest import hash_file
from cybercase.errors import InvalidInputError, NotFoundError
from cybercase.evidence import Case, Signer
from cybercase.request import RequestConfig, create_request
from cybercase.request.accounts import account_links
from cybercase.request.identifiers import from_item, from_items, parse_target
from cybercase.request.models import RequestRecord
from tests.fixtures.requests import preservation_spec

RECORD = {
    "requested_url": "http://market.example/l/991",
    "final_url": "https://www.market.example/listing/991-pangolin-scales",
    "started": "2026-02-20T10:15:00.250000Z",
    "ended": "2026-02-20T10:15:03.900000+00:00",
    "title": "Pangolin scales 2kg <b>rare</b>",
    "links": [
        "https://www.market.example/seller/ivory_dealer_77",
        "https://market.example/profile/99812?tab=reviews",
        "https://www.market.example/help/safety",
        "https://other.example/user/someone",
        {"url": "https://m.market.example/shop/scales-and-more", "text": "shop"},
        {"href": "https://www.market.example/listing/991-pangolin-scales?seller_id=4411"},
        "mailto:x@example.com",
        42,
    ],
}


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("https://market.example/listing/1", "url", "https://market.example/listing/1"),
        ("HTTP://Market.Example/x", "url", "HTTP://Market.Example/x"),
        ("@ivory_dealer", "account", "@ivory_dealer"),
        ("ivory_dealer", "account", "ivory_dealer"),
        ("100004567891234", "numeric-id", "100004567891234"),
        ("listing:55-221", "listing-id", "55-221"),
        ("id:42", "numeric-id", "42"),
        ("account:https", "account", "https"),
        ("email:seller@mail.example", "email", "seller@mail.example"),
        ("seller@mail.example", "email", "seller@mail.example"),
        ("+254 700 123456", "phone", "+254 700 123456"),
        ("  url:https://a.example/b  ", "url", "https://a.example/b"),
    ],
)
def test_parse_target(text: str, kind: str, value: str) -> None:
    ident = parse_target(text)
    assert (ident.kind, ident.value, ident.source) == (kind, value, None)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("ftp://files.example/x", "not http or https"),
        ("url:not-a-url", "not an http(s) URL"),
        ("listing:", "names a kind but no value"),
        ("bad\x00value", "control characters"),
    ],
)
def test_parse_target_refuses(text: str, words: str) -> None:
    with pytest.raises(InvalidInputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_target(text)


@given(st.text(max_size=200))
def test_parse_target_never_crashes(text: str) -> None:
    try:
        ident = parse_target(text)
    except InvalidInputError:
        return
    assert ident.value == ident.value.strip() or ident.kind != "url"
    assert ident.value


def test_identifiers_are_taken_from_a_capture(
    rcase: Case, make_capture: Callable[..., str]
) -> None:
    item = make_capture(rcase, RECORD)
    found = from_item(rcase, item.lower())
    ev = found.evidence
    assert ev.kind == "capture" and ev.item == item
    assert ev.capture_start == "2026-02-20T10:15:00.250000Z"
    assert ev.capture_end == "2026-02-20T10:15:03.900000Z"
    assert ev.final_url == RECORD["final_url"]
    assert ev.requested_url == RECORD["requested_url"]
    assert ev.title == RECORD["title"]
    assert {a.role for a in ev.artifacts} == {"warc", "record"}
    assert ev.notes == []
    values = [(i.kind, i.value) for i in found.identifiers]
    assert values == [
        ("url", RECORD["final_url"]),
        ("url", RECORD["requested_url"]),
        ("account-url", "https://www.market.example/seller/ivory_dealer_77"),
        ("account-url", "https://market.example/profile/99812?tab=reviews"),
        ("account-url", "https://m.market.example/shop/scales-and-more"),
        (
            "account-url",
            "https://www.market.example/listing/991-pangolin-scales?seller_id=4411",
        ),
    ]
    assert all(i.source == item and i.seen_at == ev.capture_start for i in found.identifiers)


def test_nested_record_layout_is_read_too(rcase: Case, make_capture: Callable[..., str]) -> None:
    item = make_capture(
        rcase,
        {
            "request": {"url": "https://shop.example/item/7"},
            "response": {"url": "https://shop.example/item/7"},
            "timing": {"start": "2026-02-21T08:00:00Z", "end": "2026-02-21T08:00:02Z"},
            "page": {"title": "Item 7", "links": [{"href": "https://shop.example/vendor/abc"}]},
        },
    )
    found = from_item(rcase, item)
    assert found.evidence.capture_start == "2026-02-21T08:00:00.000000Z"
    assert found.evidence.final_url == "https://shop.example/item/7"
    assert [i.value for i in found.identifiers] == [
        "https://shop.example/item/7",
        "https://shop.example/vendor/abc",
    ]


@pytest.mark.parametrize(
    ("record", "note"),
    [
        (b"{not json", "cannot be read"),
        (b"[1, 2, 3]", "not a JSON object"),
        ({"requested_url": "https://a.example/"}, "gives no final URL"),
        ({"final_url": "https://a.example/", "started": "yesterday"}, "start time 'yesterday'"),
        ({"final_url": "https://a.example/", "started": 5}, "start time is not a text"),
    ],
)
def test_a_damaged_or_partial_record_is_noted_not_guessed(
    rcase: Case, make_capture: Callable[..., str], record: dict[str, object] | bytes, note: str
) -> None:
    item = make_capture(rcase, record)
    found = from_item(rcase, item)
    assert any(note in n for n in found.evidence.notes), found.evidence.notes
    assert found.evidence.capture_start is None


def test_an_imported_file_gives_its_name_hash_and_time(
    rcase: Case, signer: Signer, tmp_path: Path
) -> None:
    shot = tmp_path / "whatsapp-offer.jpg"
    shot.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (view,) = rcase.add_files(signer, [shot])
    found = from_item(rcase, view.id)
    assert found.evidence.kind == "file"
    assert found.evidence.original_name == "whatsapp-offer.jpg"
    assert found.evidence.acquired == view.created_at
    assert found.evidence.artifacts[0].digest == str(hash_file(shot))
    assert found.identifiers == []


def test_unknown_items_and_requests_are_refused(rcase: Case) -> None:
    with pytest.raises(NotFoundError, match="--items: no item E0009"):
        from_items(rcase, ["E0009"])
    with pytest.raises(InvalidInputError, match="R0001 is a request"):
        from_items(rcase, ["R0001"])


def test_platform_patterns_add_account_links() -> None:
    links = ["https://shop.example/~trader99", "https://shop.example/about"]
    assert account_links(links, "https://shop.example/item/1") == []
    assert account_links(links, "https://shop.example/item/1", [r"/~[\w-]+$"]) == [links[0]]


def test_request_from_items_holds_capture_times_and_hashes(
    rcase: Case,
    signer: Signer,
    request_config: RequestConfig,
    make_capture: Callable[..., str],
    tmp_path: Path,
) -> None:
    capture = make_capture(rcase, RECORD)
    shot = tmp_path / "screenshot-by-hand.png"
    shot.write_bytes(b"\x89PNG stand-in")
    (imported,) = rcase.add_files(signer, [shot])
    result = create_request(
        rcase,
        signer,
        preservation_spec(targets=("account:ivory_dealer_77",), items=(capture, imported.id)),
        config=request_config,
        pdf=None,
    )
    record = RequestRecord.model_validate_json(rcase.read_object(result.artifacts[0].digest))
    assert [e.item for e in record.evidence] == [capture, imported.id]
    assert record.targets[0].value == "ivory_dealer_77" and record.targets[0].source is None
    final = next(t for t in record.targets if t.value == RECORD["final_url"])
    assert final.source == capture and final.seen_at == "2026-02-20T10:15:00.250000Z"
    letter = rcase.read_object(result.artifacts[1].digest).decode()
    artifacts = rcase.item(capture).artifacts
    warc = next(a for a in artifacts if a.role == "warc")
    assert warc.digest in letter
    assert [a.digest for a in artifacts if a.role != "warc" and a.digest in letter] == []
    assert "2026-02-20 10:15:00 UTC" in letter
    assert "Pangolin scales 2kg &lt;b&gt;rare&lt;/b&gt;" in letter
    assert result.entry.detail["evidence"] == [capture, imported.id]
