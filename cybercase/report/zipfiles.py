"""A zip written beside its final name and renamed only once it reads back whole.

The export package and the WACZ are both handed out as one file: a reader must never find
half of one under its real name, and a killed export leaves only a ``.NAME.HEX.part`` file
that the next export removes.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from cybercase.errors import StorageError
from cybercase.evidence.fsio import part_name, replacing


@contextlib.contextmanager
def durable_zip(target: Path, what: str) -> Iterator[Path]:
    """Yield the path to write the zip to; then test it, fsync it and rename it to ``target``.

    On any failure the part is removed and nothing appears at ``target``.
    """
    with replacing(target, part_name(target), overwrite=False) as part:
        yield part
        with zipfile.ZipFile(part) as check:
            damaged = check.testzip()
        if damaged is not None:
            raise StorageError(
                f"the {what} just written is damaged at {damaged}; nothing was exported",
                hint="check the disk, then try again",
            )
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
