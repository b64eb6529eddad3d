"""A response body held in memory while small and moved to the work folder once large.

Most bodies are small; a spool keeps them off the disk, while a large one never has to
fit in memory. The raw fetch and the browser's recording proxy both stream into one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FolderSource = Callable[[], Path]
"""Gives the capture's work folder (made on first use: small captures never need one)."""
SPOOL_IN_MEMORY = 1024 * 1024


class Spool:
    """A body held in memory while small, moved to a file in the work folder once large."""

    def __init__(self, folder: FolderSource, name: str, threshold: int = SPOOL_IN_MEMORY) -> None:
        self._folder = folder
        self._name = name
        self._threshold = threshold
        self._buffer = bytearray()
        self._file: BinaryIO | None = None
        self.path: Path | None = None
        """The file holding the body, once it outgrew memory."""
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append bytes."""
        if self._file is None and len(self._buffer) + len(data) <= self._threshold:
            self._buffer += data
        else:
            if self._file is None:
                self.path = self._folder() / self._name
                self._file = self.path.open("xb")
                self._file.write(self._buffer)
                self._buffer = bytearray()
            self._file.write(data)
        self.size += len(data)

    def close(self) -> None:
        """Finish writing."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def open(self) -> BinaryIO:
        """Read the body from its start."""
        if self.path is not None:
            return self.path.open("rb")
        return io.BytesIO(bytes(self._buffer))
