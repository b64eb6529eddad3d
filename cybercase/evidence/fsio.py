"""Durable file operations: nothing counts as written until it is on disk.

The sequence is always: write to a temporary name in the destination's folder, flush,
``fsync`` the file, rename over the final name, ``fsync`` the folder. A crash at any
point leaves either the old state or the new one, plus possibly a stray temporary file,
never a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from cybercase.errors import StorageError

_WINDOWS = os.name == "nt"


def fsync_dir(folder: Path) -> None:
    """Make a rename or creation inside ``folder`` durable (a no-op where unsupported)."""
    if _WINDOWS:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


_SYNCFS = _load_syncfs()


def syncfs(folder: Path) -> bool:
    """Flush the whole filesystem holding ``folder`` in one call (Linux ``syncfs``).

    Group commit of many objects: one call makes every written file and every rename
    durable, instead of an ``fsync`` per file and per folder. Returns False where the
    call is not available or fails; the caller then syncs file by file.
    """
    if _SYNCFS is None:
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        return _SYNCFS(fd) == 0
    finally:
        os.close(fd)


def storage_error(action: str, path: Path, exc: OSError) -> StorageError:
    """Turn an OS error into a one-line message that says what to do."""
    reason = exc.strerror or str(exc)
    hint = (
        "free some disk space and try again"
        if exc.errno == 28
        else ("check the folder's permissions" if exc.errno in (1, 13, 30) else None)
    )
    return StorageError(f"cannot {action} {path}: {reason}", hint=hint)


def temp_name(folder: Path, stem: str = "tmp") -> Path:
    """A fresh temporary file name inside ``folder`` (same filesystem as the target)."""
    return folder / f".{stem}.{os.getpid()}.{secrets.token_hex(6)}.part"


def part_name(target: Path) -> Path:
    """``.NAME.HEX.part`` beside ``target``: the temporary name of a copy handed out or of
    a zip being written (the leftovers cleaners recognise the form)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")


@contextlib.contextmanager
def replacing(
    target: Path, tmp: Path | None = None, *, sync_dir: bool = True, overwrite: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block succeeds, it takes the name.

    The block writes the temporary file and makes its bytes durable; then it is renamed
    to ``target`` and, unless ``sync_dir`` is False, the rename itself is made durable.
    On any failure the temporary file is removed and ``target`` is untouched. This is
    the one temp-file-and-rename of the code: every durable write goes through it.
    ``overwrite=False`` renames with :meth:`Path.rename` (which, on Windows, refuses a
    target that appeared meanwhile) rather than :func:`os.replace`.
    """
    tmp = tmp or temp_name(target.parent, target.name)
    try:
        yield tmp
        if overwrite:
            os.replace(tmp, target)
        else:
            tmp.rename(target)
        if sync_dir:
            fsync_dir(target.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise storage_error("write", target, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_writer(target: Path, *, mode: int = 0o644, sync_dir: bool = True) -> Iterator[BinaryIO]:
    """Open a temporary file that replaces ``target`` durably when the block succeeds.

    On an exception the temporary file is removed and ``target`` is untouched.
    ``sync_dir=False`` skips making the rename itself durable: only for files where
    finding the previous version after a crash is acceptable (``custody.head``).
    """
    with replacing(target, sync_dir=sync_dir) as tmp:
        with tmp.open("xb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)


def write_bytes_durably(
    target: Path, data: bytes, *, mode: int = 0o644, sync_dir: bool = True
) -> None:
    """Replace ``target`` with ``data`` atomically and durably."""
    with atomic_writer(target, mode=mode, sync_dir=sync_dir) as fh:
        fh.write(data)


def make_read_only(path: Path) -> None:
    """Remove write permission, so evidence is not changed by accident."""
    current = stat.S_IMODE(path.stat().st_mode)
    os.chmod(path, current & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
