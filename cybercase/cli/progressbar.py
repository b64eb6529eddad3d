"""A rich progress bar implementing :class:`cybercase.progress.Progress`."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)


class RichProgress:
    """Shows one task at a time on stderr; bytes are shown as sizes, counts as M/N."""

    def __init__(self, console: Console, *, unit: str = "bytes") -> None:
        self._console = console
        self._unit = unit
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def start(self, label: str, total: float | None) -> None:
        """Open the bar."""
        counter = DownloadColumn() if self._unit == "bytes" else MofNCompleteColumn()
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            counter,
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, amount: float = 1) -> None:
        """Move the bar."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def finish(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
