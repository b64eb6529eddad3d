"""The collect layer's public surface is deliberate, and importing it costs nothing.

Each package's ``__all__`` is pinned here: adding or removing a public name is a
decision, made in this file too. Every name resolves to the object its module defines,
and importing the packages alone pulls in none of the heavy libraries behind them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = {
    "cybercase.collect": [
        "BatchResult",
        "CaptureRecord",
        "CaptureRequest",
        "CaptureResult",
        "CaptureSettings",
        "Capturer",
        "PreparedCapture",
        "Stage",
        "StageFile",
        "StageOutput",
        "capture_url",
        "commit_captures",
        "load_capture_settings",
        "open_capturer",
        "parse_url_list",
        "run_batch",
    ],
    "cybercase.collect.browser": [
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
    ],
    "cybercase.collect.http": [
        "AttemptResult",
        "Classified",
        "FetchResult",
        "Fetcher",
        "Spool",
        "WireHop",
        "check_url",
        "classify",
        "new_record_id",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert list(module.__all__) == PUBLIC[package]


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_every_public_name_is_its_module_object(package: str) -> None:
    """A name is the defining module's object (the lazy import adds no copy of its own)."""
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        home = importlib.import_module(module._HOMES[name])
        assert value is getattr(home, name), name
        assert name in dir(module)
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_importing_the_packages_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import cybercase.collect, cybercase.collect.browser, cybercase.collect.http\n"
        "heavy = [m for m in ('playwright', 'warcio', 'httpx', 'httpcore', 'h11', 'pydantic',"
        " 'cryptography', 'yt_dlp', 'lxml') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_help_imports_neither_playwright_nor_warcio() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cybercase", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    imported = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert imported, "no -X importtime output"
    assert not [line for line in imported if "playwright" in line or "warcio" in line]
