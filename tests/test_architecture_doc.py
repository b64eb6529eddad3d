"""docs/architecture.md is a map that can be trusted: every path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"(?<![\w/.])((?:cybercase|tests|benchmarks|docs)/[\w./-]*[\w/])")


def test_every_path_the_architecture_page_names_exists() -> None:
    named = sorted(set(PATH.findall(PAGE.read_text(encoding="utf-8"))))
    assert len(named) > 40
    missing = [path for path in named if not (ROOT / path).exists()]
    assert missing == []


def test_every_layer_is_on_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    layers = sorted(p.name for p in (ROOT / "cybercase").iterdir() if (p / "__init__.py").exists())
    assert [layer for layer in layers if f"cybercase/{layer}/" not in text] == []
