"""``cybercase verify PACKAGE``: an exported package checked as strictly as a live case.

The same checks as for a case folder, applied to the package's copies: the custody
log's chain and signatures (:func:`~cybercase.evidence.verify.case.check_log`), ``case.json``
against the log, the custodians' key files, and every artifact the log names, found by
its path in ``hashes.csv`` and re-hashed (:func:`~cybercase.evidence.verify.case.check_objects`).
On top of that the BagIt manifests (with the ``bagit`` library, plus a strict reading of
their exact bytes), the completeness of the package, and the signed export statement,
which pins where the log ended so a log cut short is noticed; and every trusted
timestamp, by the same check a live case gets
(:func:`~cybercase.evidence.verify.timestamps.timestamp_check`) reading the package's
copies: a token over data changed since, a seal over a rewritten log, or a token that
does not chain to a trusted root is reported exactly as in a case. A zip is unpacked
into a temporary folder first, refusing any member that would land outside it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cybercase.digest import Digest, hash_file
from cybercase.errors import InvalidInputError, NotFoundError
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.state import artifacts_of
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import (
    CheckResult,
    Family,
    Finding,
    LogCheck,
    ObjectRef,
    ObjectSource,
    VerificationReport,
    anchoring,
    check_case_json,
    check_key_files,
    check_log,
    check_objects,
    check_trust,
    common_families,
    referenced_objects,
    root_keys,
)
from cybercase.evidence.verify.timestamps import timestamp_check
from cybercase.progress import NullProgress, Progress
from cybercase.report.layout import ATTACHMENTS, COLLECTION, REQUESTS, TIMESTAMPS, TSA_CERTIFICATES
from cybercase.report.statement import (
    SIGNATURE_NAME,
    STATEMENT_NAME,
    TAG_SIGNATURE_NAME,
    ExportStatement,
    statement_signature_ok,
)

BAGIT_TXT = "bagit.txt"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64})( \*| {1,2})(\S(?:.*\S)?)$")
_BAGIT_TXT = re.compile(rb"^BagIt-Version: (0\.97|1\.0)\nTag-File-Character-Encoding: UTF-8\n$")
ARTIFACT_FOLDERS = (COLLECTION, REQUESTS, TIMESTAMPS, TSA_CERTIFICATES, ATTACHMENTS)
LOG_PATH = "data/4-custody/custody.jsonl"


def is_package(path: Path) -> bool:
    """Whether ``path`` looks like an exported package (a bag folder, or a zip)."""
    if path.is_dir():
        return (path / BAGIT_TXT).is_file()
    return path.is_file() and path.suffix.lower() == ".zip"


def verify_package(
    path: Path,
    *,
    progress: Progress | None = None,
    tsa_settings: TsaSettings | None = None,
    trusted_keys: Sequence[str] = (),
) -> VerificationReport:
    """Verify a package folder or zip; never raises for a problem it can describe.

    Trusted timestamps are judged against ``tsa_settings`` (default: the ``[tsa]``
    configuration in effect), like a live case: a token that chains only to the root
    shipped in the package is a warning naming that root's fingerprint. ``trusted_keys``
    are the fingerprints the case must be rooted in, as for a live case.
    """
    if path.is_dir():
        if not (path / BAGIT_TXT).is_file():
            raise InvalidInputError(
                f"{path} is not an exported package (no bagit.txt)",
                hint="give the package folder (the one holding VERIFY.txt) or its .zip",
            )
        return _verify_folder(path, str(path), progress, tsa_settings, trusted_keys)
    if not path.is_file():
        raise NotFoundError(f"no package at {path}")
    with tempfile.TemporaryDirectory(prefix=".cybercase-verify-") as tmp:
        root, findings = _unzip(path, Path(tmp))
        if root is None:
            report = VerificationReport(target=str(path), case_id=None, findings=findings)
            report.checks.append(CheckResult("zip", "failed", "the zip cannot be unpacked"))
            return report
        report = _verify_folder(root, str(path), progress, tsa_settings, trusted_keys)
        report.findings[:0] = findings
        zip_check = Family("zip", findings, "unpacked safely", "the zip is not safe to unpack")
        report.checks.insert(0, zip_check.result())
        return report


_TAG_MEMBER_LIMIT = 256 * 1024 * 1024
"""The most a file outside ``data/`` (report, manifests) may hold; payload sizes are bounded
by the package's own Payload-Oxum, which the exporter signed."""
_EOCD = b"PK\x05\x06"


def _trailing_bytes(path: Path) -> int:
    """Bytes after the zip's end-of-central-directory record (0 for a well-formed zip)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        start = max(0, size - 65557)
        fh.seek(start)
        tail = fh.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return -1
    comment = int.from_bytes(tail[at + 20 : at + 22], "little")
    return len(tail) - (at + 22 + comment)


def _manifest_names(data: bytes) -> set[str]:
    names: set[str] = set()
    for line in data.decode("utf-8", "replace").split("\n"):
        match = _MANIFEST_LINE.match(line)
        if match:
            names.add(match.group(3))
    return names


def _oxum(bag_info: bytes) -> int | None:
    match = re.search(rb"^Payload-Oxum: (\d+)\.\d+\s*$", bag_info, re.MULTILINE)
    return int(match.group(1)) if match else None


def _unzip(path: Path, into: Path) -> tuple[Path | None, list[Finding]]:
    """Unpack a zip whose members all sit under one top folder; refuse anything else.

    Nothing is written before the whole central directory has been checked: member names
    (no absolute paths, ``..``, links, duplicates), no bytes before the first member or
    after the end record, every member listed in the package's manifests, and sizes
    within what the package declares (payload: its Payload-Oxum; other files: a fixed
    bound). The tag files and the custody folder are unpacked first and, when the
    package carries a signature over its tag manifest, that signature must hold before
    the rest is unpacked: an unsigned zip cannot make verify write more than it says.
    """
    where = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return None, [Finding("error", "zip.unreadable", where, f"not a readable zip: {exc}")]
    with archive:
        infos = archive.infolist()
        tops = {PurePosixPath(i.filename).parts[0] for i in infos if i.filename}
        seen: set[str] = set()
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name).parts
            mode = info.external_attr >> 16
            if (
                not name
                or name.startswith("/")
                or "\\" in name
                or any(p in ("..", ".") or ":" in p for p in parts)
                or stat.S_ISLNK(mode)
                or len(tops) != 1
                or name.lower() in seen
            ):
                return None, [
                    Finding("error", "zip.unsafe", f"{where}: {name}", "refused member: unsafe")
                ]
            seen.add(name.lower())
        trailing = _trailing_bytes(path)
        if trailing != 0 or min((i.header_offset for i in infos), default=0) != 0:
            return None, [
                Finding(
                    "error",
                    "zip.extra-bytes",
                    where,
                    "holds bytes outside the zip's members (before the first or after the "
                    "end record): not a zip as exported",
                )
            ]
        top = next(iter(tops))
        members = {
            PurePosixPath(i.filename).relative_to(top).as_posix(): i
            for i in infos
            if not i.is_dir() and len(PurePosixPath(i.filename).parts) > 1
        }
        findings: list[Finding] = []

        def small(name: str) -> bytes:
            info = members.get(name)
            if info is None or info.file_size > _TAG_MEMBER_LIMIT:
                return b""
            with archive.open(info) as fh:
                return fh.read(_TAG_MEMBER_LIMIT)

        try:
            listed = _manifest_names(small(MANIFEST)) | _manifest_names(small(TAGMANIFEST))
            oxum = _oxum(small("bag-info.txt"))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            return None, [Finding("error", "zip.corrupt", where, f"cannot be read: {exc}")]
        listed |= {TAGMANIFEST, TAG_SIGNATURE_NAME}
        wanted: dict[str, zipfile.ZipInfo] = {}
        for name, info in sorted(members.items()):
            if name not in listed:
                findings.append(
                    Finding(
                        "error",
                        "package.unlisted",
                        f"{where}: {top}/{name}",
                        "a member no manifest lists (added after export); not unpacked",
                    )
                )
            elif not name.startswith("data/") and info.file_size > _TAG_MEMBER_LIMIT:
                return None, [
                    Finding(
                        "error",
                        "zip.size",
                        f"{where}: {info.filename}",
                        f"declares {info.file_size} bytes, more than a package file holds",
                    )
                ]
            else:
                wanted[name] = info
        payload = sum(i.file_size for n, i in wanted.items() if n.startswith("data/"))
        if oxum is not None and payload > oxum:
            return None, [
                Finding(
                    "error",
                    "zip.size",
                    where,
                    f"its members under data/ declare {payload} bytes, the package's "
                    f"Payload-Oxum {oxum}: not unpacked",
                )
            ]
        needed = sum(i.file_size for i in wanted.values())
        free = shutil.disk_usage(into).free
        if needed > free:
            return None, [
                Finding(
                    "error",
                    "zip.too-large",
                    where,
                    f"checking it needs {needed} bytes of temporary space; {free} are free",
                )
            ]
        first = {n: i for n, i in wanted.items() if not n.startswith("data/")}
        first |= {n: i for n, i in wanted.items() if n.startswith("data/4-custody/")}
        rest = {n: i for n, i in wanted.items() if n not in first}
        root = into / top
        failure = _extract(archive, first, root, where)
        if failure is None and not _signature_gate(root):
            failure = Finding(
                "error",
                "export.tag-signature",
                f"{where}: {top}/{TAG_SIGNATURE_NAME}",
                "the exporter's signature over the tag manifest does not hold: the rest of "
                "the zip was not unpacked",
            )
        if failure is None:
            failure = _extract(archive, rest, root, where)
        if failure is not None:
            return None, [*findings, failure]
    if not (root / BAGIT_TXT).is_file():
        return None, [*findings, Finding("error", "zip.not-package", where, "holds no bagit.txt")]
    return root, findings


def _extract(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], root: Path, where: str
) -> Finding | None:
    """Write members, never more bytes than each declares; a bad one is named."""
    for name, info in members.items():
        target = root.joinpath(*PurePosixPath(name).parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            left = info.file_size
            with archive.open(info) as src, target.open("xb") as dst:
                while left > 0 and (chunk := src.read(min(1024 * 1024, left))):
                    dst.write(chunk)
                    left -= len(chunk)
                if src.read(1):
                    raise ValueError("more bytes than declared")
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            return Finding(
                "error", "zip.corrupt", f"{where}: {info.filename}", f"cannot be unpacked: {exc}"
            )
    return None


def _signature_gate(root: Path) -> bool:
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


def _inventory(root: Path) -> list[Finding]:
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
        match = _MANIFEST_LINE.match(line)
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


def _check_bag(root: Path, progress: Progress) -> _BagCheck:
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


def _read_rows(root: Path, out: list[Finding]) -> dict[str, list[str]]:
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


def _check_statement(
    root: Path, check: LogCheck, case_id: str | None, out: list[Finding]
) -> ExportStatement | None:
    folder = root / "data" / "4-custody"
    where = f"data/4-custody/{STATEMENT_NAME}"
    try:
        data = (folder / STATEMENT_NAME).read_bytes()
        signature = (folder / SIGNATURE_NAME).read_bytes()
    except OSError:
        out.append(Finding("error", "export.missing", where, "the export statement is missing"))
        return None
    try:
        statement = ExportStatement.from_bytes(data)
    except InvalidInputError as exc:
        out.append(Finding("error", "export.unreadable", where, exc.message))
        return None
    key = check.keys.get(statement.exporter.key)
    if key is None:
        out.append(
            Finding(
                "error", "export.unknown-key", where, "signed by a key the log does not register"
            )
        )
        return None
    if not statement_signature_ok(data, signature, key.public_raw):
        out.append(
            Finding(
                "error",
                "export.signature",
                f"data/4-custody/{SIGNATURE_NAME}",
                "not a valid signature of export.json: the statement was altered",
            )
        )
        return None
    if case_id is not None and statement.case_id != case_id:
        out.append(Finding("error", "export.case", where, "names another case"))
    _check_pinned(root, statement, key.public_raw, out)
    last = check.entries[-1] if check.entries else None
    if last is None or last.seq < statement.log.seq:
        shown = last.seq if last else 0
        out.append(
            Finding(
                "error",
                "head.truncated",
                LOG_PATH,
                f"the log ends at seq {shown} but the export was made at seq {statement.log.seq}: "
                "entries were removed from the end",
            )
        )
    elif last.seq != statement.log.seq or last.hash != statement.log.hash:
        out.append(
            Finding(
                "error",
                "head.mismatch",
                LOG_PATH,
                f"the log does not end with the entry {statement.log.seq} the export names",
            )
        )
    return statement


def _check_pinned(
    root: Path, statement: ExportStatement, public_raw: bytes, out: list[Finding]
) -> None:
    """The exporter's signature over the tag manifest, and the checker's own hash."""
    if not statement.pins_every_file:
        out.append(
            Finding(
                "warning",
                "export.unpinned",
                STATEMENT_NAME,
                "made by cybercase 0.1: the report, VERIFY.txt, hashes.csv, check_custody.py "
                "and bag-info.txt are covered by the manifests only, not by a signature",
            )
        )
        return
    try:
        signature = (root / TAG_SIGNATURE_NAME).read_bytes()
        tag_manifest = (root / TAGMANIFEST).read_bytes()
    except OSError:
        out.append(
            Finding(
                "error",
                "export.tag-signature",
                TAG_SIGNATURE_NAME,
                "missing: nothing signs the package's files outside the custody log",
            )
        )
        return
    if not statement_signature_ok(tag_manifest, signature, public_raw):
        out.append(
            Finding(
                "error",
                "export.tag-signature",
                TAG_SIGNATURE_NAME,
                f"not a valid signature of {TAGMANIFEST} by the exporter's key: a file of the "
                "package was changed and the manifests recomputed",
            )
        )
    checker = root / "data" / "4-custody" / "check_custody.py"
    try:
        actual = str(hash_file(checker))
    except OSError:
        actual = "missing"
    if actual != statement.checker:
        out.append(
            Finding(
                "error",
                "export.checker",
                "data/4-custody/check_custody.py",
                f"is not the checker the export statement names ({statement.checker}): "
                "do not run it",
            )
        )


def _verify_folder(
    root: Path,
    label: str,
    progress: Progress | None,
    tsa_settings: TsaSettings | None,
    trusted_keys: Sequence[str] = (),
) -> VerificationReport:
    progress = progress or NullProgress()
    report = VerificationReport(target=label, case_id=None)
    unsafe = _inventory(root)
    if unsafe:
        report.findings.extend(unsafe)
        report.checks.append(
            Family(
                "package", unsafe, "", "the package holds links or special files: not read"
            ).result()
        )
        return report
    bag = _check_bag(root, progress)
    bag_findings = bag.findings
    scan = logfile.scan(root / "data" / "4-custody" / logfile.LOG_NAME)
    log_check = check_log(scan, LOG_PATH)
    log_findings = list(log_check.findings)
    if scan.torn:
        log_findings.append(
            Finding("error", "log.incomplete", LOG_PATH, "the last line is incomplete")
        )
    if not scan.lines:
        log_findings.append(Finding("error", "log.empty", LOG_PATH, "missing or empty"))
    case_findings, report.case_id = check_case_json(root / "data" / "case.json", log_check)
    export_findings: list[Finding] = []
    statement = _check_statement(root, log_check, report.case_id, export_findings)
    key_findings = check_key_files(root / "data" / "4-custody" / "keys", log_check.keys)
    trust_findings, trust_summary = check_trust(log_check, trusted_keys)
    key_findings += trust_findings
    object_findings: list[Finding] = []
    rows = _read_rows(root, object_findings)
    refs = referenced_objects(log_check.entries)
    excluded = set(statement.excluded) if statement else set()
    needed: set[str] = set()
    left_out: set[str] = set()
    for entry in log_check.entries:
        skip = bool(entry.items) and set(entry.items) <= excluded
        for artifact in artifacts_of(entry):
            (left_out if skip else needed).add(artifact.digest)
    left_out -= needed
    wanted: dict[str, ObjectRef] = {d: r for d, r in refs.items() if d not in left_out}
    source = PackageSource(root, rows, bag.hasher)
    found, stats = check_objects(wanted, source, progress, hasher=bag.hasher)
    object_findings.extend(found)
    timestamps = timestamp_check(tsa_settings, source, left_out=excluded)(root, log_check)
    if left_out:
        object_findings.append(
            Finding(
                "info",
                "object.excluded",
                "export.json",
                f"{len(left_out)} file(s) of items left out at export "
                f"({', '.join(sorted(excluded))}) are not in this package",
            )
        )
    case_family, log_family, keys_family, objects_family = common_families(
        log_check,
        case=case_findings,
        log=log_findings,
        keys=key_findings,
        objects=object_findings,
        stats=stats,
        noun="files",
        trust=trust_summary,
    )
    families = [
        Family(
            "bag",
            bag_findings,
            f"{bag.matched} files match the BagIt manifests",
            f"{bag.matched} of {bag.listed} listed files match the BagIt manifests",
        ),
        case_family,
        log_family,
        Family(
            "export",
            export_findings,
            "signed export statement and end of the log",
            "the signed export statement or the end of the log does not hold",
        ),
        keys_family,
        objects_family,
        Family(
            "timestamps",
            list(timestamps.findings),
            timestamps.summary,
            timestamps.summary,
            timestamps.checked,
        ),
    ]
    for family in families:
        report.findings.extend(family.findings)
        report.checks.append(family.result())
    report.stats = {
        "entries": len(log_check.entries),
        "signatures": log_check.signatures,
        "keys": len(log_check.keys),
        **stats,
    }
    report.keys = root_keys(log_check)
    report.unanchored = anchoring(log_check)
    return report
