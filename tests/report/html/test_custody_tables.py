"""What a prosecutor reads in the custody tables: item ids, never a Python internal."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from cybercase.evidence import Case, CustodyEntry, Signer
from cybercase.report import export_case
from cybercase.report.sections.capture_view import camera_time
from tests.report.html.test_html import LAUNCH_FLAGS

INTERNALS = re.compile(r"<built-in|<bound method|object at 0x|\bNone\b|\bUndefined\b")
"""What a template shows when it reaches a Python object instead of a value."""


class Tables(HTMLParser):
    """Every table of a page, as rows of cell texts (``<br>`` becomes a new line)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(path: Path) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def visible_text(path: Path) -> str:
    """A page's text without markup (the words a reader sees)."""
    return re.sub(r"<[^>]*>", " ", path.read_text(encoding="utf-8"))


@pytest.fixture
def exported(rich_case: Case, signer: Signer, tmp_path: Path) -> tuple[Path, list[CustodyEntry]]:
    """The package (with its PDF) and the entries it shows (those before the export's own)."""
    entries = list(rich_case.entries())
    result = export_case(rich_case, signer, tmp_path / "out")
    assert result.pdf, result.notes
    return result.path, entries


def test_custody_tables_show_each_entrys_item_ids(
    exported: tuple[Path, list[CustodyEntry]],
) -> None:
    package, entries = exported
    expected = {str(e.seq): ", ".join(e.items) for e in entries}
    assert any(expected.values())
    index = next(t for t in tables_of(package / "index.html") if t[0][:5][-1] == "Items")
    assert index[0] == ["#", "Time (UTC)", "By", "Action", "Items", "What"]
    rows = {row[0]: row for row in index[1:]}
    assert set(rows) == set(expected)
    for seq, row in rows.items():
        entry = entries[int(seq) - 1]
        assert row[1] == entry.at
        assert row[3] == entry.action
        assert row[4] == expected[seq], row
        assert row[5]

    custody = tables_of(package / "data/4-custody/custody.html")[1]
    assert custody[0] == ["#", "Time (UTC), author, action", "Detail"]
    for row in custody[1:]:
        seq, facts = row[0], row[1].split("\n")
        entry = entries[int(seq) - 1]
        assert facts[:3] == [entry.at, entry.actor_name, entry.action]
        shown = [line.removeprefix("items ") for line in facts if line.startswith("items ")]
        assert shown == ([expected[seq]] if entry.items else []), facts


def test_no_page_or_pdf_shows_a_python_internal(
    exported: tuple[Path, list[CustodyEntry]],
) -> None:
    package = exported[0]
    pages = [package / "index.html", package / "data/4-custody/custody.html"]
    pages += sorted((package / "data").rglob("letter.html"))
    for page in pages:
        found = INTERNALS.findall(visible_text(page))
        assert found == [], (page.name, found)
    pdf = PdfReader(io.BytesIO((package / "report.pdf").read_bytes()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "E0001" in text
    assert INTERNALS.findall(text) == []


UTC_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"
LINES_OF_TIMES = """re => {
  const found = [];
  for (const el of document.querySelectorAll("td, span")) {
    const text = el.textContent.trim();
    if (!new RegExp(re).test(text)) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    found.push([text, tops.size]);
  }
  return found;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page", ["index.html", "data/4-custody/custody.html"])
def test_times_never_wrap_in_the_tables(package: Path, browser_path: Path, page: str) -> None:
    """A time split over two lines at its hyphens is misread; A4 width is the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(browser_path), args=LAUNCH_FLAGS)
        try:
            view = browser.new_page(viewport={"width": 794, "height": 1123})
            view.goto((package / page).resolve().as_uri(), wait_until="load")
            times = view.evaluate(LINES_OF_TIMES, UTC_TIME)
        finally:
            browser.close()
    assert len(times) >= 10
    assert [t for t in times if t[1] != 1] == []


def test_camera_dates_are_shown_as_dates(package: Path) -> None:
    """EXIF writes ``2026:02:14 10:30:00``; a reader sees ``2026-02-14 10:30:00``."""
    text = visible_text(package / "index.html")
    assert re.findall(r"\b\d{4}:\d{2}:\d{2}\b", text) == []
    assert "2026-02-14 10:30:00" in text and "2026-02-20 16:05:42" in text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("2026:02:14 10:30:00", "2026-02-14 10:30:00"),
        ("2026:02:14", "2026-02-14"),
        ("    :  :     :  :  ", "    :  :     :  :  "),
        ("14/02/2026", "14/02/2026"),
        (None, None),
    ],
)
def test_camera_time(raw: str | None, shown: str | None) -> None:
    assert camera_time(raw) == shown
