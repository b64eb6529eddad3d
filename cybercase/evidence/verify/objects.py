"""Checks of the objects the log names: present, of the recorded size, and re-hashed to
the recorded digest, wherever they are kept (a case's object store, a package's folders).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cybercase.digest import Digest, hash_file
from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.log.state import artifacts_of
from cybercase.evidence.store import ObjectStore
from cybercase.evidence.verify.findings import Finding
from cybercase.progress import NullProgress, Progress


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Where the log says an object is needed, and what size it must have."""

    digest: str
    size: int
    where: str


class ObjectSource:
    """Where verification finds the bytes of an object."""

    def locate(self, digest: Digest) -> Path | None:
        """The file holding these bytes, or ``None`` if absent."""
        raise NotImplementedError

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Findings for files present but not referenced by any entry."""
        return []

    def problem(self, digest: Digest) -> str | None:
        """Why an object is not located, when it is worse than missing."""
        return None


class StoreSource(ObjectSource):
    """Objects in a case's content-addressed store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def locate(self, digest: Digest) -> Path | None:
        """The object's file, if present as a regular file (a symlink is not an object)."""
        path = self.store.path_for(digest)
        if any(p.is_symlink() for p in (path, path.parent, self.store.base, self.store.root)):
            return None
        return path if path.is_file() else None

    def problem(self, digest: Digest) -> str | None:
        """Why an object that is not located is absent, when it is not simply missing."""
        path = self.store.path_for(digest)
        for part in (self.store.root, self.store.base, path.parent, path):
            if part.is_symlink():
                rel = part.relative_to(self.store.root.parent).as_posix()
                return f"{rel} is a symbolic link, not the object itself"
        return None

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Unreferenced and misnamed objects, and leftover temporary files."""
        found: list[Finding] = []
        for path in self.store.iter_objects():
            rel = f"objects/sha256/{path.parent.name}/{path.name}"
            if path.is_symlink() or path.parent.is_symlink():
                found.append(
                    Finding("error", "object.symlink", rel, "a symbolic link in the object store")
                )
            elif not path.is_file() or len(path.name) != 64 or path.parent.name != path.name[:2]:
                found.append(
                    Finding(
                        "warning",
                        "object.misplaced",
                        rel,
                        "a file the store did not write (wrong name or place)",
                    )
                )
            elif f"sha256:{path.name}" not in referenced:
                found.append(
                    Finding(
                        "warning",
                        "object.unreferenced",
                        rel,
                        "no custody entry names this object (probably left by an "
                        "interrupted write); it is not evidence",
                    )
                )
        for path in self.store.leftover_temp_files():
            found.append(
                Finding(
                    "info",
                    "object.temp",
                    f"objects/tmp/{path.name}",
                    "a temporary file left by an interrupted write",
                )
            )
        return found


def referenced_objects(entries: Iterable[CustodyEntry]) -> dict[str, ObjectRef]:
    """Every object the log names, with the first place that names it."""
    refs: dict[str, ObjectRef] = {}
    for entry in entries:
        label = ",".join(entry.items) if entry.items else entry.action
        for artifact in artifacts_of(entry):
            refs.setdefault(
                artifact.digest,
                ObjectRef(
                    artifact.digest, artifact.size, f"{label} {artifact.name} (seq {entry.seq})"
                ),
            )
    return refs


def check_objects(
    refs: dict[str, ObjectRef],
    source: ObjectSource,
    progress: Progress | None = None,
    workers: int | None = None,
    hasher: Callable[[Path], Digest] = hash_file,
) -> tuple[list[Finding], dict[str, int]]:
    """Re-hash every referenced object (in parallel); report missing and changed ones.

    ``hasher`` lets a caller that has just hashed the same files (an exported package's
    manifest check) supply those digests instead of reading every file twice.
    """
    progress = progress or NullProgress()
    located: list[tuple[ObjectRef, Path]] = []
    findings: list[Finding] = []
    for ref in refs.values():
        path = source.locate(Digest.parse(ref.digest))
        if path is None:
            problem = source.problem(Digest.parse(ref.digest))
            findings.append(
                Finding("error", "object.symlink", ref.where, problem)
                if problem
                else Finding(
                    "error", "object.missing", ref.where, f"the file is missing ({ref.digest})"
                )
            )
        else:
            located.append((ref, path))
    total = sum(ref.size for ref, _ in located)
    progress.start("Re-hashing evidence", total)

    def work(pair: tuple[ObjectRef, Path]) -> Finding | None:
        ref, path = pair
        try:
            digest = hasher(path)
        except OSError as exc:
            return Finding(
                "error", "object.unreadable", ref.where, f"cannot be read: {exc.strerror}"
            )
        finally:
            progress.advance(ref.size)
        if str(digest) != ref.digest:
            return Finding(
                "error",
                "object.corrupt",
                ref.where,
                f"the content changed: expected {ref.digest}, found {digest}",
            )
        if digest.size != ref.size:
            return Finding(
                "error",
                "object.size",
                ref.where,
                f"size {digest.size} where the log recorded {ref.size}",
            )
        return None

    # Larger files first, so one big file does not finish last on its own.
    located.sort(key=lambda pair: pair[0].size, reverse=True)
    count = workers or min(8, max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=count) as pool:
        for finding in pool.map(work, located):
            if finding is not None:
                findings.append(finding)
    progress.finish()
    findings.extend(source.unclaimed(set(refs)))
    return findings, {"objects": len(located), "bytes": total}
