"""An exclusive lock on a case, so two processes never interleave custody entries.

The lock is an OS file lock on ``<case>/.lock`` (``flock`` on POSIX, ``msvcrt.locking``
on Windows). The OS releases it when the holder dies, so a killed process never leaves a
case locked. Within one process a thread lock serialises threads as well.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from cybercase.errors import StorageError

LOCK_NAME = ".lock"


class CaseBusyError(StorageError):
    """Another process holds the lock and did not let go within the timeout."""


class CaseLock:
    """Re-entrant within a thread, exclusive across threads and processes."""

    def __init__(self, case_root: Path, timeout: float = 60.0, name: str = LOCK_NAME) -> None:
        self.path = case_root / name
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> CaseLock:
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                self._fd = self._acquire_os_lock()
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            self._release_os_lock(self._fd)
            self._fd = None
        self._thread_lock.release()

    def _acquire_os_lock(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StorageError(
                f"cannot open the case lock {self.path}: {exc.strerror}",
                hint="check that the case folder is writable",
            ) from exc
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _try_lock(fd)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise CaseBusyError(
                        "the case is busy: another cybercase process holds its lock",
                        hint="wait for it to finish, then try again",
                    ) from None
                time.sleep(0.01)

    def _release_os_lock(self, fd: int) -> None:
        try:
            _unlock(fd)
        finally:
            os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError from exc

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
