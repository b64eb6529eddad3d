"""Each package of the report layer exposes a deliberate, small API (``__all__``)."""

from __future__ import annotations

import importlib
import importlib.resources

import pytest

API = {
    "cybercase.report": ["ExportResult", "export_case", "is_package", "verify_package"],
    "cybercase.report.export": ["ExportResult", "export_case"],
    "cybercase.report.verify": ["is_package", "verify_package"],
    "cybercase.report.html": ["ReportInputs", "render_custody", "render_index"],
    "cybercase.report.jsonld": ["render_jsonld"],
    "cybercase.report.wacz": [
        "WaczResult",
        "export_wacz",
        "is_wacz",
        "verify_wacz",
        "write_wacz",
    ],
    "cybercase.report.sections": [
        "CaptureSection",
        "GenericSection",
        "ItemContext",
        "RequestSection",
        "Section",
        "SectionRenderer",
        "register",
        "renderers",
        "section_for",
    ],
}


@pytest.mark.parametrize("package", sorted(API))
def test_the_public_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == API[package]
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_the_standalone_checker_imports_nothing_of_cybercase() -> None:
    """It ships in every package and runs where cybercase is not installed."""
    source = importlib.resources.files("cybercase.report.standalone").joinpath("check_custody.py")
    text = source.read_text(encoding="utf-8")
    assert "import cybercase" not in text and "from cybercase" not in text
