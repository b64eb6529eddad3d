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

import atexit
import contextlib
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter
from cybercase.errors import InvalidInputError, StorageError
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error, syncfs
from cybercase.evidence.lock import try_lock_file

OBJECTS_DIR = "objects"
SYNCFS_THRESHOLD = 4
"""From this many pending objects, one ``syncfs`` beats an ``fsync`` per file and folder."""
ALGO_DIR = "sha256"
TMP_DIR = "tmp"
OWNER_PREFIX = ".owner-"
_OWNED = re.compile(r"^\.[a-z]+-([0-9a-f]{16})-")
_OWNER = re.compile(r"^\.owner-([0-9a-f]{16})\.lock$")


@dataclass(frozen=True, slots=True)
class Leftover:
    """A temporary file or folder a killed process left in ``objects/tmp``, removed."""

    name: str
    """Its name in ``objects/tmp``."""
    size: int
    """Bytes it held (every file under it, for a folder)."""


class _Owner:
    """This process's claim on the temporary names it makes in one ``objects/tmp``.

    Every temporary name carries a token; the process holds an OS lock on
    ``.owner-<token>.lock`` for as long as it lives (the OS drops it when the process
    dies, even by SIGKILL). A cleaner that can take that lock knows the owner is gone and
    that everything carrying its token is a leftover; names of a live owner are never
    touched, whether or not it holds the case lock at that moment.
    """

    def __init__(self, tmp: Path) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            token = secrets.token_hex(8)
            path = tmp / f"{OWNER_PREFIX}{token}.lock"
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            except OSError as exc:
                raise storage_error("write in", tmp, exc) from exc
            if try_lock_file(fd) and _same_file(path, fd):
                self.token, self.path, self._fd = token, path, fd
                return
            # A cleaner took the new file for a dead owner's: start again with another.
            os.close(fd)
        raise StorageError(f"cannot claim temporary names in {tmp}")

    def release(self) -> None:
        """Remove the claim at a normal exit (a killed process leaves it to the cleaner)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)


_owners: dict[str, _Owner] = {}
_owners_lock = threading.Lock()
_owners_pid = [os.getpid()]
"""The process the claims belong to: a forked child makes claims of its own."""


def _owner_for(tmp: Path, key: str | None = None) -> _Owner:
    key = key or str(tmp.resolve())
    with _owners_lock:
        if os.getpid() != _owners_pid[0]:
            _owners.clear()
            _owners_pid[0] = os.getpid()
        owner = _owners.get(key)
        if owner is None:
            owner = _owners[key] = _Owner(tmp)
        return owner


@atexit.register
def _release_owners() -> None:
    if os.getpid() != _owners_pid[0]:
        return
    with _owners_lock:
        for owner in _owners.values():
            owner.release()
        _owners.clear()


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def _size_of(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


class ObjectStore:
    """Content-addressed storage under ``<case>/objects``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / ALGO_DIR
        self.tmp = root / TMP_DIR
        self._unsynced: set[Path] = set()
        self._unsynced_lock = threading.Lock()
        self._tmp_key: str | None = None
        """``tmp`` resolved, once: every temporary name asks for this process's claim."""

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

    def stored_elsewhere(self, digests: Iterable[Digest]) -> None:
        """Objects another process stored unsynced in this store: :meth:`sync` covers them.

        A batch may prepare its captures in worker processes; the one process that commits
        must still make their objects durable before the entry that names them.
        """
        paths = [self.path_for(digest) for digest in digests]
        with self._unsynced_lock:
            self._unsynced.update(paths)

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
        return sorted(p for p in self.tmp.iterdir() if not _OWNER.match(p.name))

    def temp_prefix(self, kind: str) -> str:
        """``.<kind>-<token>-``: the start of a temporary name this process owns."""
        if self._tmp_key is None:
            self._tmp_key = str(self.tmp.resolve())
        return f".{kind}-{_owner_for(self.tmp, self._tmp_key).token}-"

    def remove_leftovers(self) -> list[Leftover]:
        """Remove what killed processes left in ``objects/tmp``; return what was removed.

        Only names whose owner is gone are touched (see :class:`_Owner`); names without
        an owner token (written before owners existed) are removed too. The caller holds
        the case lock, so no process of this version is between creating its claim and
        using it unseen. Nothing here is evidence: an object counts once it is renamed
        into ``objects/sha256`` and named by a custody entry.
        """
        if not self.tmp.is_dir():
            return []
        mine = _owners.get(str(self.tmp.resolve())) if os.getpid() == _owners_pid[0] else None
        alive: dict[str, bool] = {}
        removed: list[Leftover] = []
        held: list[tuple[Path, int]] = []
        try:
            for path in sorted(self.tmp.iterdir()):
                owner = _OWNER.match(path.name)
                token = owner.group(1) if owner else None
                owned = _OWNED.match(path.name)
                token = token or (owned.group(1) if owned else None)
                if token is not None and mine is not None and token == mine.token:
                    continue
                if token is not None and token not in alive:
                    alive[token] = self._owner_alive(token, held)
                if token is not None and alive[token]:
                    continue
                if owner is not None:
                    continue  # removed last, once everything it owned is gone
                removed.append(Leftover(path.name, _size_of(path)))
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            for lock_path, _ in held:
                with contextlib.suppress(OSError):
                    lock_path.unlink()
        except OSError as exc:
            raise storage_error("clean up", self.tmp, exc) from exc
        finally:
            for _, fd in held:
                os.close(fd)
        if removed:
            fsync_dir(self.tmp)
        return removed

    def _owner_alive(self, token: str, held: list[tuple[Path, int]]) -> bool:
        """Whether the process that owns ``token`` still runs (its lock is held)."""
        path = self.tmp / f"{OWNER_PREFIX}{token}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        if try_lock_file(fd):
            held.append((path, fd))
            return False
        os.close(fd)
        return True

    def check_writable(self) -> None:
        """Write and remove one empty temporary file, so a read-only store fails now."""
        try:
            tmp = self._new_temp()
            tmp.open("xb").close()
            tmp.unlink()
        except OSError as exc:
            raise storage_error("store an object in", self.root, exc) from exc

    def _new_temp(self) -> Path:
        return self.tmp / f"{self.temp_prefix('object')}{secrets.token_hex(6)}.part"

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
