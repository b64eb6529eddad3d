"""The annotated screenshot copy, and HTML printed to PDF for letters and reports."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from cybercase.collect.browser import (
    Caption,
    Renderer,
    annotate_screenshot,
    caption_html,
    html_to_pdf,
)
from cybercase.collect.browser import find as browser_find
from cybercase.collect.browser.annotate import MIN_WIDTH, png_size
from cybercase.errors import BrowserUnavailableError, InvalidInputError
from tests.fixtures.pages import PageServer, make_png

CAPTION = Caption(
    url="https://market.example/listing/42?ref=a&b=<c>",
    utc_time=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
    case_id="WL-2026-001",
    item_id="E0007",
    investigator="Amina Okafor",
)


class _Cells(HTMLParser):
    """The text of every table cell, as a browser would read it."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._in_td = False
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._in_td = True
            self.cells.append("")
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.cells[-1] += data


def cells_of(page: str) -> _Cells:
    parser = _Cells()
    parser.feed(page)
    return parser


def test_caption_names_everything_and_the_original_hash() -> None:
    png = make_png(64, 48, (10, 20, 30))
    cells = cells_of(caption_html(png, CAPTION)).cells
    assert cells[0] == CAPTION.url
    assert cells[1] == "2026-03-01T09:30:15.123456Z"
    assert cells[2] == "WL-2026-001 / E0007"
    assert cells[3] == "Amina Okafor"
    import hashlib

    assert f"sha256:{hashlib.sha256(png).hexdigest()}" in cells[4]
    assert "64×48" in cells[4]


@given(hostile=st.text(max_size=200))
def test_caption_values_from_websites_cannot_become_markup(hostile: str) -> None:
    caption = Caption(
        url=f"https://x.example/{hostile}<script>alert(1)</script>",
        utc_time=CAPTION.utc_time,
        case_id=hostile,
        item_id="E0001",
        investigator=hostile,
    )
    parsed = cells_of(caption_html(make_png(2, 2, (0, 0, 0)), caption))
    assert parsed.scripts == 0
    assert parsed.cells[0] == caption.url
    assert parsed.cells[2] == f"{hostile} / E0001"
    assert parsed.cells[3] == hostile


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + bytes(30), "not a PNG"),
        (b"\x89PNG\r\n\x1a\n", "not a PNG"),
        (make_png(1, 1, (0, 0, 0))[:16] + bytes(8) + b"rest", "no pixels"),
    ],
)
def test_only_pngs_are_annotated(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        png_size(data)


@pytest.mark.browser
def test_annotated_copy_has_the_original_pixels_under_the_band(browser_path: Path) -> None:
    original = make_png(700, 500, (200, 30, 30))
    annotated = annotate_screenshot(original, CAPTION, executable=browser_path)
    image = Image.open(io.BytesIO(annotated)).convert("RGB")
    width, height = image.size
    band = height - 500
    assert width == 700 and band > 60
    below = image.crop((0, band, 700, height))
    source = Image.open(io.BytesIO(original)).convert("RGB")
    assert below.tobytes() == source.tobytes()  # pixel for pixel
    band_colours = {image.getpixel((x, y)) for x in range(0, 700, 7) for y in range(0, band, 3)}
    assert len(band_colours) > 2  # text was drawn on the band


@pytest.mark.browser
def test_narrow_screenshot_gets_a_readable_band(renderer: Renderer) -> None:
    original = make_png(120, 90, (30, 200, 30))
    annotated = renderer.annotate(original, CAPTION).result(timeout=60)
    image = Image.open(io.BytesIO(annotated)).convert("RGB")
    assert image.width == MIN_WIDTH
    band = image.height - 90
    assert image.crop((0, band, 120, image.height)).tobytes() == (
        Image.open(io.BytesIO(original)).convert("RGB").tobytes()
    )


@pytest.mark.browser
def test_one_renderer_reuses_its_caption_page_without_carrying_anything_over(
    renderer: Renderer,
) -> None:
    """A wide copy, then a narrow one, then a tall one: each sized by its own original only."""
    originals = [
        make_png(1100, 300, (10, 10, 200)),
        make_png(120, 90, (30, 200, 30)),
        make_png(640, 1500, (200, 200, 10)),
    ]
    futures = [renderer.annotate(png, CAPTION) for png in originals]
    for original, future in zip(originals, futures, strict=True):
        image = Image.open(io.BytesIO(future.result(timeout=60))).convert("RGB")
        source = Image.open(io.BytesIO(original)).convert("RGB")
        assert image.width == max(source.width, MIN_WIDTH)
        band = image.height - source.height
        assert 60 < band < 400
        below = image.crop((0, band, source.width, image.height))
        assert below.tobytes() == source.tobytes()


def page_size_mm(reader: PdfReader) -> tuple[float, float]:
    box = reader.pages[0].mediabox
    return float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72


LETTER = """<!doctype html><html><head><meta charset="utf-8"><title>Request</title>
<style>@page { size: A5; margin: 15mm } body { font: 11pt serif }</style></head>
<body><h1>Demande de conservation — 保全请求</h1>
<p>Préservation des données du compte « seller_42 ».</p>
<script>document.write('SCRIPT RAN')</script>
<img src="{image}" alt="">
</body></html>"""


@pytest.mark.browser
def test_html_to_pdf_prints_offline_without_scripts(
    browser_path: Path, page_server: PageServer
) -> None:
    before = len(page_server.requests_for("/img/eager.png"))
    html = LETTER.replace("{image}", page_server.url("/img/eager.png"))
    pdf = html_to_pdf(html, executable=browser_path)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Préservation des données du compte « seller_42 »." in text
    assert "SCRIPT RAN" not in text
    assert len(page_server.requests_for("/img/eager.png")) == before  # nothing fetched
    assert page_size_mm(reader) == pytest.approx((148, 210), abs=1)  # A5, from @page


@pytest.mark.browser
def test_renderer_prints_pdf_too(renderer: Renderer) -> None:
    pdf = renderer.html_to_pdf("<p>Letter body</p>").result(timeout=60)
    reader = PdfReader(io.BytesIO(pdf))
    assert "Letter body" in reader.pages[0].extract_text()
    assert page_size_mm(reader) == pytest.approx((210, 297), abs=1)  # A4


def test_html_to_pdf_without_browser_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser_find, "_system_candidates", lambda platform, env: iter(()))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.delenv(browser_find.ENV_BROWSER, raising=False)
    with pytest.raises(BrowserUnavailableError) as printing:
        html_to_pdf("<p>x</p>")
    assert "playwright install chromium" in printing.value.one_line()
    with pytest.raises(BrowserUnavailableError) as drawing:
        annotate_screenshot(make_png(2, 2, (0, 0, 0)), CAPTION)
    assert "apt install chromium" in drawing.value.one_line()
