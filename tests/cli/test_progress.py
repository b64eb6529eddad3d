"""One chooser of the progress bar for every command (the capture's counts URLs)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cybercase.cli.common import progress_for
from cybercase.cli.progressbar import RichProgress
from cybercase.progress import NullProgress

CLI = Path(__file__).resolve().parents[2] / "cybercase" / "cli"


def test_json_or_no_terminal_shows_no_bar() -> None:
    assert isinstance(progress_for(True, unit="urls"), NullProgress)
    assert isinstance(progress_for(False), NullProgress)  # pytest's stderr is no terminal


def test_only_common_builds_the_rich_bar() -> None:
    users = sorted(p.name for p in CLI.glob("**/*.py") if "RichProgress(" in p.read_text("utf-8"))
    assert users == ["common.py"]


def test_a_url_bar_counts(tmp_path: Path) -> None:
    with (tmp_path / "bar.txt").open("w", encoding="utf-8") as shown:
        bar = RichProgress(Console(file=shown, force_terminal=True, width=80), unit="urls")
        bar.start("capturing", 2)
        bar.advance()
        bar.finish()
    assert "capturing" in (tmp_path / "bar.txt").read_text(encoding="utf-8")
