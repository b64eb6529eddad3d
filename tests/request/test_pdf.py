"""One PDF-through-the-browser function for letters and the exported report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cybercase.errors import BrowserUnavailableError
from cybercase.evidence import Case, Signer
from cybercase.request import RequestConfig, create_request
from cybercase.request.pdf import NO_BROWSER_SUPPORT, print_pdf
from tests.fixtures.requests import preservation_spec

ROOT = Path(__file__).resolve().parents[2]


def test_a_build_without_the_browser_module_is_one_browser_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cybercase.collect.browser", None)
    with pytest.raises(BrowserUnavailableError) as caught:
        print_pdf("<p>x</p>")
    assert caught.value.message == NO_BROWSER_SUPPORT


def test_a_letter_without_the_browser_module_says_so_in_one_line(
    rcase: Case,
    signer: Signer,
    request_config: RequestConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cybercase.collect.browser", None)
    result = create_request(rcase, signer, preservation_spec(), config=request_config)
    assert [a.role for a in result.artifacts] == ["request", "letter"]
    assert result.messages[-1] == f"PDF not made: {NO_BROWSER_SUPPORT} (letter.html is kept)"


def test_the_browser_is_reached_through_one_function_without_importlib() -> None:
    """Letters and the report both print through ``print_pdf``; nobody imports by name."""
    for module in ("request/letters.py", "request/create.py", "report/export/files.py"):
        text = (ROOT / "cybercase" / module).read_text(encoding="utf-8")
        assert "importlib.import_module" not in text, module
    assert "print_pdf(" in (ROOT / "cybercase/report/export/files.py").read_text(encoding="utf-8")
