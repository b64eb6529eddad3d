"""Monitor: the watch list, recapture runs, what changed between captures, and warnings.

Listings change price, swap photos and vanish within days. A URL put under watch
(``watch.added``) is recaptured by ``watch run`` when it falls due, each recapture an
ordinary evidence item, and each compared with the capture before it in a signed
``item.compared`` entry. A listing gone, or a seller changed, raises a warning with the
preservation request to send. Everything here is derived from the custody log.
"""

from cybercase.monitor.actions import (
    ITEM_COMPARED,
    WATCH_ADDED,
    WATCH_REMOVED,
    WATCH_RUN_FINISHED,
    WATCH_RUN_STARTED,
)
from cybercase.monitor.alerts import Alert, watch_alerts
from cybercase.monitor.compare import compare
from cybercase.monitor.facts import read_facts
from cybercase.monitor.lock import RunLock, WatchBusyError
from cybercase.monitor.models import (
    CaptureFacts,
    Change,
    Comparison,
    WatchAdded,
)
from cybercase.monitor.notify import Notifier
from cybercase.monitor.results import RunResult, WatchEvent
from cybercase.monitor.run import RunOptions, run_watch, watch_forever
from cybercase.monitor.state import WatchState, fold
from cybercase.monitor.timeline import Timeline, timeline, timeline_of, timelines
from cybercase.monitor.watchlist import (
    add_watches,
    describe_every,
    load,
    parse_every,
    parse_until,
    remove_watches,
    watch_rows,
    watched_url,
)

__all__ = [
    "ITEM_COMPARED",
    "WATCH_ADDED",
    "WATCH_REMOVED",
    "WATCH_RUN_FINISHED",
    "WATCH_RUN_STARTED",
    "Alert",
    "CaptureFacts",
    "Change",
    "Comparison",
    "Notifier",
    "RunLock",
    "RunOptions",
    "RunResult",
    "Timeline",
    "WatchAdded",
    "WatchBusyError",
    "WatchEvent",
    "WatchState",
    "add_watches",
    "compare",
    "describe_every",
    "fold",
    "load",
    "parse_every",
    "parse_until",
    "read_facts",
    "remove_watches",
    "run_watch",
    "timeline",
    "timeline_of",
    "timelines",
    "watch_alerts",
    "watch_forever",
    "watch_rows",
    "watched_url",
]
