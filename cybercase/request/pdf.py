"""HTML printed to PDF by the browser, when this installation has one.

Letters (``letter.pdf``, ``extension-1.pdf``) and the exported report (``report.pdf``)
are printed the same way: by the collect layer's headless Chromium. That module is an
optional part of a build, so it is imported inside :func:`print_pdf` (which also keeps
``import cybercase.request`` from loading the browser stack); a missing module is the
same :class:`BrowserUnavailableError` as a missing Chromium, so every caller handles one
error and says in one line that the PDF was not made.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from cybercase.errors import BrowserUnavailableError

PdfMaker = Callable[[str], bytes]
"""Prints one HTML document to PDF bytes (tests pass a stand-in)."""
PdfChoice = PdfMaker | None | Literal["auto"]
"""``"auto"``: the browser if there is one; ``None``: no PDF; or a maker of one's own."""

NO_BROWSER_SUPPORT = "this installation has no browser support"


def print_pdf(html: str, *, executable: Path | None = None) -> bytes:
    """``html`` printed by headless Chromium (:func:`cybercase.collect.browser.html_to_pdf`).

    Raises :class:`BrowserUnavailableError` when this build has no browser module or no
    browser can be started; a letter or a report is valid without its PDF.
    """
    try:
        from cybercase.collect.browser import html_to_pdf
    except ImportError as exc:
        raise BrowserUnavailableError(NO_BROWSER_SUPPORT) from exc
    return html_to_pdf(html, executable=executable)


def resolve_pdf(choice: PdfChoice) -> tuple[PdfMaker | None, str | None]:
    """The PDF maker to use for a letter, or the one line that says why none is used."""
    if choice == "auto":
        return print_pdf, None
    if choice is None:
        return None, "PDF not made: not asked for (letter.html is kept)"
    return choice, None


def make_pdf(html: str, maker: PdfMaker) -> tuple[bytes | None, str | None]:
    """The PDF of a letter, or ``None`` and the one line that says why there is none."""
    try:
        pdf = maker(html)
    except BrowserUnavailableError as exc:
        return None, f"PDF not made: {exc.message} (letter.html is kept)"
    if not pdf.startswith(b"%PDF"):
        return None, "PDF not made: the browser returned something that is not a PDF"
    return pdf, None
