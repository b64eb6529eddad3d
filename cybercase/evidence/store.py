"""The content-addressed object store: every artifact, written once, read-only.

An object lives at ``objects/sha256/<first two hex>/<64 hex>``; its name is the
SHA-256 of its bytes, so identical content is stored once and any change to an
object is visible by re-hashing it. Bytes are hashed in the same pass that writes
them to a temporary file; the file is renamed to its final name only after ``fsync``.

Durability can be deferred for group commit: ``put_*(..., sync=False)`` skips the
per-file ``fsync``; the caller must then call :meth:`ObjectStore.sync` before it logs
any entry that names those objects. Threads may store objects while another commits:
the set of objects awaiting ``fsync`` is guarded by a lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter
from cybercase.errors import InvalidInputError, StorageError
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error, syncfs, temp_name

OBJECTS_DIR = "objects"
SYNCFS_THRESHOLD = 4
"""From this many pending objects, one ``syncfs`` beats an ``fsync`` per file and folder."""
ALGO_DIR = "sha256"
TMP_DIR = "tmp"


class ObjectStore:
    """Content-addressed storage under ``<case>/objects``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / ALGO_DIR
        self.tmp = root / TMP_DIR
        self._unsynced: set[Path] = set()
        self._unsynced_lock = threading.Lock()

    def create(self) -> None:
        """Create the empty folders of a new store."""
        self.base.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, digest: Digest) -> Path:
        """Where the object with this digest lives (whether or not it exists)."""
        return self.base / digest.hex[:2] / digest.hex

    def exists(self, digest: Digest) -> bool:
        """Whether an object with this digest is present (not whether it is intact)."""
        return self.path_for(digest).is_file()

    def open(self, digest: Digest) -> BinaryIO:
        """Open an object for reading."""
        try:
            return self.path_for(digest).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"object {digest} is missing from the case") from exc

    def put_bytes(self, data: bytes, *, sync: bool = True) -> Digest:
        """Store bytes already in memory."""
        digest = Digest.of_bytes(data)
        if self.exists(digest):
            return digest
        tmp = self._new_temp()
        try:
            with tmp.open("xb") as fh:
                fh.write(data)
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            self._discard(tmp)
            raise storage_error("store an object in", self.root, exc) from exc
        return self._install(tmp, digest, sync=sync)

    def put_stream(self, stream: BinaryIO, *, sync: bool = True) -> Digest:
        """Store everything a binary stream yields, hashing as it is copied."""
        view = memoryview(bytearray(CHUNK_SIZE))
        with self.writer(sync=sync) as writer:
            while True:
                n = stream.readinto(view)  # type: ignore[attr-defined]
                if not n:
                    break
                writer.write(view[:n])
        return writer.digest()

    def put_file(self, path: Path, *, sync: bool = True) -> Digest:
        """Copy a file into the store (streaming: never whole in memory)."""
        try:
            fh = path.open("rb", buffering=0)
        except FileNotFoundError as exc:
            raise InvalidInputError(f"file not found: {path}") from exc
        except IsADirectoryError as exc:
            raise InvalidInputError(f"{path} is a folder, not a file") from exc
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
        with fh:
            return self.put_stream(fh, sync=sync)

    @contextlib.contextmanager
    def writer(self, *, sync: bool = True) -> Iterator[HashingWriter]:
        """Write an object piece by piece; it is installed when the block ends.

        The digest is available afterwards as ``writer.digest()``.
        """
        tmp = self._new_temp()
        try:
            fh = tmp.open("xb")
        except OSError as exc:
            raise storage_error("store an object in", self.root, exc) from exc
        try:
            with fh:
                writer = HashingWriter(fh)
                yield writer
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            self._discard(tmp)
            raise storage_error("store an object in", self.root, exc) from exc
        except BaseException:
            self._discard(tmp)
            raise
        self._install(tmp, writer.digest(), sync=sync)

    def sync(self) -> None:
        """Make every object stored with ``sync=False`` durable (group commit)."""
        with self._unsynced_lock:
            pending, self._unsynced = self._unsynced, set()
        if len(pending) >= SYNCFS_THRESHOLD and syncfs(self.base):
            return
        folders = {path.parent for path in pending}
        for path in pending:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in folders:
            fsync_dir(folder)
        if folders:
            fsync_dir(self.base)

    def iter_objects(self) -> Iterator[Path]:
        """Every file under ``objects/sha256`` (well-named or not), for verification."""
        if not self.base.is_dir():
            return
        for sub in sorted(self.base.iterdir()):
            if sub.is_dir():
                yield from sorted(p for p in sub.iterdir())
            else:
                yield sub

    def leftover_temp_files(self) -> list[Path]:
        """Temporary files left by an interrupted write (never evidence)."""
        if not self.tmp.is_dir():
            return []
        return sorted(self.tmp.iterdir())

    def check_writable(self) -> None:
        """Write and remove one empty temporary file, so a read-only store fails now."""
        try:
            tmp = self._new_temp()
            tmp.open("xb").close()
            tmp.unlink()
        except OSError as exc:
            raise storage_error("store an object in", self.root, exc) from exc

    def _new_temp(self) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return temp_name(self.tmp, "object")

    def _discard(self, tmp: Path) -> None:
        with contextlib.suppress(OSError):
            tmp.unlink()

    def _install(self, tmp: Path, digest: Digest, *, sync: bool) -> Digest:
        final = self.path_for(digest)
        if final.exists():
            self._discard(tmp)
            return digest
        folder = final.parent
        try:
            new_folder = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True)
            make_read_only(tmp)
            os.replace(tmp, final)
            if sync:
                fsync_dir(folder)
                if new_folder:
                    fsync_dir(self.base)
            else:
                with self._unsynced_lock:
                    self._unsynced.add(final)
        except OSError as exc:
            self._discard(tmp)
            raise storage_error("store an object in", self.root, exc) from exc
        return digest

    def copy_to(self, digest: Digest, target: Path) -> None:
        """Copy an object out (for export), streaming."""
        with self.open(digest) as src, target.open("xb") as dst:
            shutil.copyfileobj(src, dst, CHUNK_SIZE)
