"""Progress reporting that the library can use without knowing about terminals.

Long operations (verification, batch capture, export) call a :class:`Progress`; the
CLI passes a rich progress bar on a terminal and :class:`NullProgress` in ``--json``
or non-TTY mode. The library never prints.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives progress of one long task."""

    def start(self, label: str, total: float | None) -> None:
        """A task begins; ``total`` in its own units (bytes, URLs), if known."""
        ...

    def advance(self, amount: float = 1) -> None:
        """Some of the task is done."""
        ...

    def finish(self) -> None:
        """The task is over."""
        ...


class NullProgress:
    """Reports nothing."""

    def start(self, label: str, total: float | None) -> None:
        """Ignore."""

    def advance(self, amount: float = 1) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""
