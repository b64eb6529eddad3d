"""Time, always timezone-aware UTC, from an injectable clock.

Evidence times are written ISO 8601 with microseconds and a ``Z`` suffix. Tests and
the demo inject a :class:`FixedClock` or :class:`SteppingClock` so that outputs are
reproducible; everything else uses :class:`SystemClock`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The system's current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that always says the same time (for tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """The fixed time."""
        return self._at


class SteppingClock:
    """A clock that advances by ``step`` each time it is read (deterministic tests)."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = start.astimezone(UTC)
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The next time in the sequence."""
        with self._lock:
            at = self._next
            self._next = at + self._step
            return at


def format_utc(at: datetime) -> str:
    """``2026-11-28T23:55:00.123456Z``: the one machine-readable time format."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: evidence times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """Parse a time written by :func:`format_utc` (or any ISO 8601 time with an offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time without a timezone: {text!r}")
    return value.astimezone(UTC)
