"""The custody entries the watch feature writes: their names and the models of their details.

Writers log the model with :meth:`~cybercase.evidence.EntryDraft.of`; the watch state
reads each one back with :meth:`~cybercase.evidence.CustodyEntry.detail_as`.
"""

from __future__ import annotations

from cybercase.evidence.details import action
from cybercase.monitor.models import Comparison, RunFinished, RunStarted, WatchAdded, WatchRemoved

WATCH_ADDED = action("watch.added", WatchAdded, "monitor")
"""A URL put under watch."""
WATCH_REMOVED = action("watch.removed", WatchRemoved, "monitor")
"""A URL taken off the watch list (its captures stay evidence)."""
WATCH_RUN_STARTED = action("watch.run.started", RunStarted, "monitor")
"""A run's list of URLs, written before the first capture so a killed run resumes."""
WATCH_RUN_FINISHED = action("watch.run.finished", RunFinished, "monitor")
"""What a run did."""
ITEM_COMPARED = action("item.compared", Comparison, "monitor")
"""One capture of a watched URL beside the one before."""

__all__ = [
    "ITEM_COMPARED",
    "WATCH_ADDED",
    "WATCH_REMOVED",
    "WATCH_RUN_FINISHED",
    "WATCH_RUN_STARTED",
]
