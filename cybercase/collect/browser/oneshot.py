"""One browser for one document: a captioned screenshot or an HTML page printed to PDF.

Letters and reports need a PDF without running a batch; these start a
:class:`~cybercase.collect.browser.renderer.Renderer` for the call and stop it after.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import TypeVar

from cybercase.collect.browser.annotate import png_size
from cybercase.collect.browser.options import Caption
from cybercase.collect.browser.renderer import Renderer
from cybercase.errors import BrowserUnavailableError

T = TypeVar("T")


def annotate_screenshot(
    png: bytes, caption: Caption, *, executable: Path | None = None, timeout: float = 30.0
) -> bytes:
    """A copy of ``png`` with a caption band above it (URL, UTC time, case, item, investigator).

    The original is not changed and remains the primary, hashed screenshot; the copy
    names its SHA-256. Starts a browser for the call: inside a batch, use
    :meth:`Renderer.annotate` or :attr:`RenderOptions.caption` instead.
    """
    png_size(png)
    with Renderer(executable, pool_size=1) as renderer:
        return _result(renderer.annotate(png, caption), timeout + 10)


def html_to_pdf(html: str, *, executable: Path | None = None, timeout: float = 30.0) -> bytes:
    """``html`` printed to PDF by headless Chromium, for letters and reports.

    The document is rendered offline with JavaScript off: everything it shows must be
    in the HTML (inline styles, ``data:`` images). Page size and margins come from the
    document's ``@page`` rule, A4 otherwise. Raises :class:`BrowserUnavailableError`
    when no browser can do it.
    """
    with Renderer(executable, pool_size=1) as renderer:
        return _result(renderer.html_to_pdf(html, timeout=timeout), timeout + 10)


def _result(future: concurrent.futures.Future[T], timeout: float) -> T:
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError as exc:
        future.cancel()
        raise BrowserUnavailableError(f"the browser did not answer within {timeout:g} s") from exc
