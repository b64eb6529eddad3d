"""What the investigator saw: pages rendered by Chromium, and every request they made.

:class:`Renderer` drives one headless browser for a batch (see its module,
:mod:`~cybercase.collect.browser.renderer`); :class:`TrafficRecorder` records a
context's traffic as raw HTTP for the WARC; :func:`html_to_pdf` and
:func:`annotate_screenshot` start a browser for one document. The modules:
``launch`` (flags, sandbox), ``contexts`` (the pool of clean contexts), ``page`` (one
page's steps), ``annotate`` (captioned screenshots), ``options`` and ``result`` (what is
asked and what comes back), ``feed`` (infinite scroll), ``find`` (locating Chromium),
``traffic``/``authority`` (the recording proxy), ``stage`` (rendering as a capture
stage) and ``browse``/``persona``/``browse_scripts`` (the recorded browsing session).
Nothing here imports Playwright until a name that needs it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cybercase.lazy import lazy_names

if TYPE_CHECKING:
    from cybercase.collect.browser.annotate import caption_html
    from cybercase.collect.browser.find import find_browser
    from cybercase.collect.browser.oneshot import annotate_screenshot, html_to_pdf
    from cybercase.collect.browser.options import (
        BrowserCookie,
        Caption,
        RenderOptions,
        Viewport,
        load_cookies_file,
        parse_proxy,
    )
    from cybercase.collect.browser.recording import TrafficLog, TrafficSettings
    from cybercase.collect.browser.renderer import Renderer
    from cybercase.collect.browser.result import (
        ROLE_DOM,
        ROLE_MHTML,
        ROLE_PDF,
        ROLE_SCREENSHOT,
        ROLE_SCREENSHOT_ANNOTATED,
        BrowserInfo,
        BrowserRecord,
        BrowserRequest,
        RenderedFile,
        RenderResult,
    )
    from cybercase.collect.browser.traffic import TrafficRecorder

_HOMES = {
    "BrowserCookie": "cybercase.collect.browser.options",
    "BrowserInfo": "cybercase.collect.browser.result",
    "BrowserRecord": "cybercase.collect.browser.result",
    "BrowserRequest": "cybercase.collect.browser.result",
    "Caption": "cybercase.collect.browser.options",
    "ROLE_DOM": "cybercase.collect.browser.result",
    "ROLE_MHTML": "cybercase.collect.browser.result",
    "ROLE_PDF": "cybercase.collect.browser.result",
    "ROLE_SCREENSHOT": "cybercase.collect.browser.result",
    "ROLE_SCREENSHOT_ANNOTATED": "cybercase.collect.browser.result",
    "RenderOptions": "cybercase.collect.browser.options",
    "RenderResult": "cybercase.collect.browser.result",
    "RenderedFile": "cybercase.collect.browser.result",
    "Renderer": "cybercase.collect.browser.renderer",
    "TrafficLog": "cybercase.collect.browser.traffic",
    "TrafficRecorder": "cybercase.collect.browser.traffic",
    "TrafficSettings": "cybercase.collect.browser.traffic",
    "Viewport": "cybercase.collect.browser.options",
    "annotate_screenshot": "cybercase.collect.browser.oneshot",
    "caption_html": "cybercase.collect.browser.annotate",
    "find_browser": "cybercase.collect.browser.find",
    "html_to_pdf": "cybercase.collect.browser.oneshot",
    "load_cookies_file": "cybercase.collect.browser.options",
    "parse_proxy": "cybercase.collect.browser.options",
}
"""Where each public name is defined: imported only when first asked for."""

__all__ = [
    "ROLE_DOM",
    "ROLE_MHTML",
    "ROLE_PDF",
    "ROLE_SCREENSHOT",
    "ROLE_SCREENSHOT_ANNOTATED",
    "BrowserCookie",
    "BrowserInfo",
    "BrowserRecord",
    "BrowserRequest",
    "Caption",
    "RenderOptions",
    "RenderResult",
    "RenderedFile",
    "Renderer",
    "TrafficLog",
    "TrafficRecorder",
    "TrafficSettings",
    "Viewport",
    "annotate_screenshot",
    "caption_html",
    "find_browser",
    "html_to_pdf",
    "load_cookies_file",
    "parse_proxy",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
