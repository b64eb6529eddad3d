"""The report's timeline of a watched URL: every capture, its changes and the text diff."""

from __future__ import annotations

import html
import re
from pathlib import Path

from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from cybercase.monitor import RunOptions, add_watches, run_watch
from cybercase.report.export.package import export_case
from cybercase.report.verify.package import verify_package
from tests.fixtures.shop import Listing, Shop, photo

OPTIONS = RunOptions(settings=CaptureSettings(retries=0), browser=False, all=True)


def test_the_report_has_a_timeline_per_watched_url(
    case: Case, signer: Signer, shop: Shop, tmp_path: Path
) -> None:
    changing = shop.add("1", Listing("Ivory bangle", "€1,200", "bonecraft", photo(1)))
    vanishing = shop.add("2", Listing("Horn cup", "€9,000", "hornman", photo(2)))
    add_watches(case, signer, [changing, vanishing], every="1d", browser=False)
    run_watch(case, signer, OPTIONS)
    shop.listings["1"].price = "€950"
    shop.listings["1"].description = "Reduced for a quick sale."
    shop.listings["2"].mode = "404"
    run_watch(case, signer, OPTIONS)

    exported = export_case(case, signer, tmp_path / "out", pdf=False)
    page = (exported.path / "index.html").read_text(encoding="utf-8")
    section = page[
        page.index('id="timelines"') : page.index("</div>", page.index('id="timelines"'))
    ]
    text = html.unescape(re.sub(r"<[^>]+>", " ", section))
    assert changing in text
    assert "price 1,200 EUR -> 950 EUR" in text
    assert "+Reduced for a quick sale." in text
    assert "Watched every 1d" in text
    rest = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert f"listing gone at {vanishing} (HTTP 404" in rest
    assert f'href="{changing}"' not in page, "evidence URLs are text, never links"
    assert verify_package(exported.path).ok
