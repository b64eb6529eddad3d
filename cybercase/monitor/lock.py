"""One watch run per case at a time.

Two runs of one case would each find the same URLs due and capture them twice. A run
holds an OS lock on ``<case>/.watch.lock`` for as long as it lasts (``--forever``:
until it stops); the OS releases it when the process dies, so a killed run never leaves
the case locked. The case's own lock is still taken for every write, so a manual
``capture`` alongside a run is fine.

Who holds it (process id, host, start time) is written beside it in ``.watch.run`` so
the run that is turned away can say which one to wait for. That file is advisory: it
is read only while the lock is held by someone, so a stale one left by a killed run
misleads no one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.errors import StorageError
from cybercase.evidence.lock import CaseBusyError, CaseLock

LOCK_NAME = ".watch.lock"
HOLDER_NAME = ".watch.run"


class WatchBusyError(StorageError):
    """Another ``watch run`` is running on this case."""


class RunLock:
    """The case's watch-run lock, taken without waiting."""

    def __init__(self, case_root: Path, clock: Clock | None = None) -> None:
        self.root = case_root
        self.clock: Clock = clock or SystemClock()
        self._lock = CaseLock(case_root, timeout=0.0, name=LOCK_NAME)

    def __enter__(self) -> RunLock:
        try:
            self._lock.__enter__()
        except CaseBusyError:
            raise WatchBusyError(
                f"another 'cybercase watch run' is already running on this case{self._holder()}",
                hint="it captures what is due; wait for it to finish (or stop it), "
                "then run again if needed",
            ) from None
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": format_utc(self.clock.now()),
        }
        with contextlib.suppress(OSError):
            (self.root / HOLDER_NAME).write_text(json.dumps(holder) + "\n", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.__exit__(exc_type, exc, tb)

    def _holder(self) -> str:
        try:
            data = json.loads((self.root / HOLDER_NAME).read_text(encoding="utf-8"))
            return f" (process {data['pid']} on {data['host']}, started {data['started']})"
        except (OSError, ValueError, KeyError, TypeError):
            return ""
