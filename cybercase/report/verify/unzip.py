"""Unpacking a package's zip safely before it is verified: no path outside the folder,
no link, no bomb, no member the manifests do not name, nothing after the archive.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from cybercase.evidence.verify.findings import Finding
from cybercase.report.statement import TAG_SIGNATURE_NAME
from cybercase.report.verify.bag import (
    BAGIT_TXT,
    MANIFEST,
    MANIFEST_LINE,
    TAGMANIFEST,
    signature_gate,
)

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
        match = MANIFEST_LINE.match(line)
        if match:
            names.add(match.group(3))
    return names


def _oxum(bag_info: bytes) -> int | None:
    match = re.search(rb"^Payload-Oxum: (\d+)\.\d+\s*$", bag_info, re.MULTILINE)
    return int(match.group(1)) if match else None


def unzip(path: Path, into: Path) -> tuple[Path | None, list[Finding]]:
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
        if failure is None and not signature_gate(root):
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
