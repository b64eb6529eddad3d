"""The BagIt layer of a package: its inventory (no links or special files), its
manifests, and the package's files as the source of the objects the log names.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cybercase.digest import Digest, hash_file
from cybercase.errors import InvalidInputError
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.verify.custody import check_log
from cybercase.evidence.verify.findings import Finding
from cybercase.evidence.verify.objects import ObjectSource
from cybercase.progress import Progress
from cybercase.report.layout import ATTACHMENTS, COLLECTION, REQUESTS, TIMESTAMPS, TSA_CERTIFICATES
from cybercase.report.statement import (
    STATEMENT_NAME,
    TAG_SIGNATURE_NAME,
    ExportStatement,
    statement_signature_ok,
)

BAGIT_TXT = "bagit.txt"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})( \*| {1,2})(\S(?:.*\S)?)$")
_BAGIT_TXT = re.compile(rb"^BagIt-Version: (0\.97|1\.0)\nTag-File-Character-Encoding: UTF-8\n$")
ARTIFACT_FOLDERS = (COLLECTION, REQUESTS, TIMESTAMPS, TSA_CERTIFICATES, ATTACHMENTS)
LOG_PATH = "data/4-custody/custody.jsonl"


def signature_gate(root: Path) -> bool:
    """Whether the unpacked custody folder vouches for the tag manifest (or cannot: format 1).

    Only a package that claims format 2 and whose signature fails is held back; anything
    unreadable here is left for the full verification to report.
    """
    folder = root / "data" / "4-custody"
    try:
        statement = ExportStatement.from_bytes((folder / STATEMENT_NAME).read_bytes())
    except (OSError, InvalidInputError):
        return True
    if not statement.pins_every_file:
        return True
    check = check_log(logfile.scan(folder / logfile.LOG_NAME), LOG_PATH)
    key = check.keys.get(statement.exporter.key)
    try:
        signature = (root / TAG_SIGNATURE_NAME).read_bytes()
        tags = (root / TAGMANIFEST).read_bytes()
    except OSError:
        return False
    return key is not None and statement_signature_ok(tags, signature, key.public_raw)


def inventory(root: Path) -> list[Finding]:
    """Every entry of the package, looked at with ``lstat`` before anything is opened.

    A symbolic link (to a file or a folder) or a special file anywhere in the package is
    a failure, and nothing further is read: a link could make a check read a file
    outside the package, and a FIFO would make it hang.
    """
    found: list[Finding] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in sorted([*dirs, *files]):
            path = base / name
            relative = path.relative_to(root).as_posix()
            try:
                mode = os.lstat(path).st_mode
            except OSError as exc:
                found.append(Finding("error", "package.unreadable", relative, f"{exc.strerror}"))
                continue
            if stat.S_ISLNK(mode):
                found.append(
                    Finding(
                        "error",
                        "package.symlink",
                        relative,
                        "a symbolic link: a package holds only plain files (not followed)",
                    )
                )
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(
                    Finding("error", "package.special", relative, "not a plain file (not opened)")
                )
    return found


@contextlib.contextmanager
def _quiet_bagit() -> Iterator[None]:
    import bagit

    before = bagit.LOGGER.disabled
    bagit.LOGGER.disabled = True
    try:
        yield
    finally:
        bagit.LOGGER.disabled = before


def _manifest_entries(root: Path, name: str, out: list[Finding]) -> dict[str, str]:
    """Read a manifest strictly: exact line format, final newline, no stray bytes."""
    path = root / name
    try:
        data = path.read_bytes()
    except OSError:
        out.append(Finding("error", "bag.manifest-missing", name, "missing or unreadable"))
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        out.append(Finding("error", "bag.manifest-format", name, "not valid UTF-8"))
        return {}
    if not text.endswith("\n") or "\r" in text:
        out.append(Finding("error", "bag.manifest-format", name, "malformed line endings"))
    entries: dict[str, str] = {}
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        match = MANIFEST_LINE.match(line)
        if not match:
            out.append(
                Finding("error", "bag.manifest-format", f"{name} line {number}", "malformed line")
            )
            continue
        entries[match.group(3)] = match.group(1)
    return entries


@dataclass(slots=True)
class _BagCheck:
    findings: list[Finding] = field(default_factory=list)
    digests: dict[str, Digest] = field(default_factory=dict)
    """Every manifest-listed file's digest, by normalised path, for reuse by later checks."""
    listed: int = 0
    """Entries in the two manifests."""
    matched: int = 0
    """Entries whose file is there with the hash the manifest gives."""

    def hasher(self, path: Path) -> Digest:
        """The digest already computed for ``path``, else a fresh one."""
        known = self.digests.get(os.path.normpath(path))
        return known if known is not None else hash_file(path)


def check_bag(root: Path, progress: Progress) -> _BagCheck:
    """Fixity of every manifest entry (hashed once, in parallel), then BagIt structure."""
    import bagit

    result = _BagCheck()
    found = result.findings
    try:
        if not _BAGIT_TXT.match((root / BAGIT_TXT).read_bytes()):
            found.append(Finding("error", "bag.declaration", BAGIT_TXT, "not a BagIt declaration"))
    except OSError:
        found.append(Finding("error", "bag.declaration", BAGIT_TXT, "missing or unreadable"))
    payload = _manifest_entries(root, MANIFEST, found)
    tagged = _manifest_entries(root, TAGMANIFEST, found)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        top_level = not relative.startswith("data/") and relative not in (
            TAGMANIFEST,
            TAG_SIGNATURE_NAME,
        )
        if path.is_file() and top_level and relative not in tagged:
            found.append(
                Finding(
                    "error",
                    "bag.unlisted-tag-file",
                    relative,
                    "a file the tag manifest does not list (added after export)",
                )
            )
    located: list[tuple[str, Path, str]] = []
    result.listed = len(payload) + len(tagged)
    for source, entries in ((MANIFEST, payload), (TAGMANIFEST, tagged)):
        for relative, expected in entries.items():
            parts = PurePosixPath(relative).parts
            if relative.startswith("/") or ".." in parts or "\\" in relative:
                found.append(Finding("error", "bag.unsafe-path", source, f"{relative!r}"))
                continue
            path = root / relative
            if not path.is_file():
                found.append(
                    Finding("error", "bag.missing", relative, f"listed in {source} but missing")
                )
                continue
            located.append((relative, path, expected))
    progress.start("Checking the package's manifests", sum(p.stat().st_size for _, p, _ in located))

    def work(entry: tuple[str, Path, str]) -> tuple[str, Path, str, Digest | None]:
        relative, path, expected = entry
        try:
            digest: Digest | None = hash_file(path)
        except OSError:
            digest = None
        progress.advance(path.stat().st_size if digest else 0)
        return relative, path, expected, digest

    workers = min(8, max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for relative, path, expected, digest in pool.map(work, located):
            if digest is None:
                found.append(Finding("error", "bag.unreadable", relative, "cannot be read"))
                continue
            result.digests[os.path.normpath(path)] = digest
            if digest.hex == expected:
                result.matched += 1
            else:
                found.append(
                    Finding(
                        "error",
                        "bag.checksum",
                        relative,
                        f"the content changed: the manifest says sha256:{expected}, "
                        f"the file is {digest}",
                    )
                )
    progress.finish()
    with _quiet_bagit():
        try:
            bagit.Bag(str(root)).validate(processes=1, completeness_only=True)
        except bagit.BagValidationError as exc:
            for detail in exc.details or [exc.message]:
                found.append(Finding("error", "bag.invalid", "BagIt", str(detail)))
        except (bagit.BagError, UnicodeError, ValueError, OSError, KeyError) as exc:
            found.append(Finding("error", "bag.invalid", "BagIt", f"not a valid bag: {exc}"))
    return result


class PackageSource(ObjectSource):
    """Objects found by their path in ``hashes.csv`` rather than by their hash."""

    def __init__(
        self, root: Path, rows: dict[str, list[str]], hasher: Callable[[Path], Digest] = hash_file
    ) -> None:
        self.root = root
        self.rows = rows
        self.hasher = hasher

    def locate(self, digest: Digest) -> Path | None:
        """The first listed copy of these bytes that exists."""
        for relative in self.rows.get(str(digest), []):
            path = self.root / relative
            if path.is_file():
                return path
        return None

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Copies beyond the first that differ, listed files the log does not name, and
        files in the artifact folders that ``hashes.csv`` does not list."""
        found: list[Finding] = []
        listed = {p for paths in self.rows.values() for p in paths}
        for digest, paths in sorted(self.rows.items()):
            if digest not in referenced:
                for relative in paths:
                    found.append(
                        Finding(
                            "error",
                            "package.unexpected",
                            relative,
                            "hashes.csv lists this file, but no custody entry names its hash",
                        )
                    )
                continue
            first = self.locate(Digest.parse(digest))
            for relative in paths:
                path = self.root / relative
                if not path.is_file():
                    found.append(
                        Finding(
                            "error",
                            "object.missing",
                            relative,
                            "missing: the log names this file and hashes.csv puts it here "
                            "(a copy of the same bytes elsewhere does not stand in for it)",
                        )
                    )
                elif path != first and str(self.hasher(path)) != digest:
                    found.append(
                        Finding(
                            "error",
                            "object.corrupt",
                            relative,
                            f"the content changed: expected {digest}",
                        )
                    )
        for folder in ARTIFACT_FOLDERS:
            base = self.root / "data" / folder
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                relative = path.relative_to(self.root).as_posix()
                if path.is_file() and relative not in listed:
                    found.append(
                        Finding(
                            "error",
                            "package.unlisted",
                            relative,
                            "a file in an evidence folder that hashes.csv does not list",
                        )
                    )
        return found


def read_rows(root: Path, out: list[Finding]) -> dict[str, list[str]]:
    where = "data/3-preservation/hashes.csv"
    rows: dict[str, list[str]] = {}
    try:
        text = (root / where).read_bytes().decode("utf-8")
        for row in csv.DictReader(io.StringIO(text, newline="")):
            relative = row["path"]
            parts = PurePosixPath(relative).parts
            if not relative.startswith("data/") or ".." in parts or "\\" in relative:
                out.append(Finding("error", "package.path", where, f"unsafe path {relative!r}"))
                continue
            rows.setdefault(f"sha256:{row['sha256']}", []).append(relative)
    except (OSError, UnicodeDecodeError, KeyError, csv.Error) as exc:
        out.append(Finding("error", "package.hashes", where, f"missing or unreadable: {exc}"))
    return rows
