"""On the training marketplace: real captures, analysed; the shared camera and a re-posted photo."""

from __future__ import annotations

from pathlib import Path

import pytest

import cybercase.training
from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import BrowserChoice, capture_urls
from cybercase.evidence import Case, Signer
from cybercase.investigate.analysis import analyze_case
from cybercase.investigate.leads import find_leads, source_of
from cybercase.training import Marketplace, catalogue
from tests.investigate.helpers import new_case, settings
from tests.investigate.imagegen import reposted

MEDIA = Path(cybercase.training.__file__).parent / "site" / "media"


def test_captured_listings_give_prices_and_the_shared_camera(
    marketplace: Marketplace, case: Case, signer: Signer
) -> None:
    urls = [marketplace.url_for(f"/listing/{n}") for n in ("1001", "1003", "1005")]
    done = capture_urls(
        case, signer, urls, CaptureSettings(jobs=1, retries=0), browser=BrowserChoice(enabled=False)
    )
    by_url = {r.url: r.item_id for r in done.batch.results}
    run = analyze_case(case, signer, settings())
    analyses = {a.item_id: a for a in run.items}
    first = analyses[by_url[urls[0]]]
    assert first.kind == "capture" and first.texts[0].artifact == "text.txt"
    price = next(e for e in first.entities if e.kind == "price")
    listing = catalogue.listing("1001")
    assert listing is not None
    assert price.value == f"USD {listing.price_on(catalogue.FIRST_DAY)}"
    assert all(i.phash for a in run.items for i in a.images)
    leads = find_leads(source_of(a) for a in run.items)
    serial = next(lead for lead in leads if lead.kind == "serial")
    assert serial.value == catalogue.SHARED_SERIAL
    assert sorted(i.item_id for i in serial.items) == sorted([by_url[urls[0]], by_url[urls[2]]])
    assert not [lead for lead in leads if lead.kind == "photo"]


def test_a_training_photo_reposted_is_linked_and_a_different_one_is_not(
    tmp_path: Path, signer: Signer
) -> None:
    original = (MEDIA / "listing-1001.jpg").read_bytes()
    files = {
        "original.jpg": original,
        "repost.jpg": reposted(original, quality=60, scale=0.5),
        "other.jpg": (MEDIA / "listing-1003.jpg").read_bytes(),
    }
    case = new_case(tmp_path / "case", signer, "WL-PH", files)
    run = analyze_case(case, signer, settings())
    photos = [lead for lead in find_leads(source_of(a) for a in run.items) if lead.kind == "photo"]
    assert [[i.item_id for i in lead.items] for lead in photos] == [["E0001", "E0002"]]
    assert "distance" in photos[0].items[1].evidence[0]
    serial = [lead for lead in find_leads(source_of(a) for a in run.items) if lead.kind == "serial"]
    assert serial == [], "EXIF is not carried over by the re-encoding, so only the photo links"


@pytest.mark.browser
def test_a_seller_page_rendered_by_the_browser_reveals_the_phone(
    marketplace: Marketplace, case: Case, signer: Signer, browser_path: Path
) -> None:
    """The contact details appear only after JavaScript ran: analysis reads the DOM."""
    seller = catalogue.seller("tortoise_haven_pets")
    assert seller is not None
    url = marketplace.url_for(seller.path)
    capture_urls(
        case,
        signer,
        [url],
        CaptureSettings(jobs=1, retries=0),
        browser=BrowserChoice(executable=browser_path, pool_size=1),
    )
    (analysis,) = analyze_case(case, signer, settings("US")).items
    assert analysis.texts[0].artifact == "rendered.html"
    phones = {e.value for e in analysis.entities if e.kind == "phone"}
    assert phones == {"+12025550147"}
    assert ("email", seller.contact.email) in {(e.kind, e.value) for e in analysis.entities}
