"""The files of a WACZ as its ``datapackage.json`` lists them: members read safely, each
re-hashed and compared with its listed hash and size.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from cybercase.evidence.verify.findings import Finding, Severity
from cybercase.report.wacz.write import DATAPACKAGE, DIGEST_FILE, WACZ_VERSION

_CHUNK = 1024 * 1024


@dataclass(slots=True)
class WaczCheck:
    findings: dict[str, list[Finding]] = field(
        default_factory=lambda: {k: [] for k in ("zip", "files", "signature", "timestamp")}
    )
    package: dict[str, Any] | None = None
    package_bytes: bytes | None = None
    matched: int = 0
    listed: int = 0
    signer: str | None = None
    timestamp_checked: bool = False
    timestamp_summary: str = "no trusted timestamp"

    def add(self, family: str, severity: Severity, code: str, where: str, message: str) -> None:
        self.findings[family].append(Finding(severity, code, where, message))


def read_members(archive: zipfile.ZipFile, state: WaczCheck) -> dict[str, zipfile.ZipInfo]:
    found: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        if info.is_dir():
            continue
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or any(p in ("..", ".") or ":" in p for p in parts)
        ):
            state.add("zip", "error", "wacz.unsafe", name, "an unsafe name in the zip")
            continue
        if name in found:
            state.add("zip", "error", "wacz.duplicate", name, "two members with this name")
            continue
        found[name] = info
    return found


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str | None]:
    try:
        return archive.read(info), None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        return None, str(exc)


def _hash_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int] | str:
    hasher = hashlib.sha256()
    size = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        return str(exc)
    return f"sha256:{hasher.hexdigest()}", size


def check_files(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], state: WaczCheck
) -> None:
    info = members.get(DATAPACKAGE)
    if info is None:
        state.add("files", "error", "wacz.datapackage", DATAPACKAGE, "missing: not a WACZ")
        return
    data, error = read_member(archive, info)
    if data is None:
        state.add("zip", "error", "wacz.corrupt", DATAPACKAGE, f"cannot be unpacked: {error}")
        return
    try:
        package = json.loads(data)
        resources = package["resources"]
        if not isinstance(package, dict) or not isinstance(resources, list):
            raise TypeError("no resources")
    except (ValueError, KeyError, TypeError):
        state.add("files", "error", "wacz.datapackage", DATAPACKAGE, "not readable JSON")
        return
    state.package, state.package_bytes = package, data
    if package.get("wacz_version") != WACZ_VERSION:
        state.add(
            "files",
            "warning",
            "wacz.version",
            DATAPACKAGE,
            f"WACZ version {package.get('wacz_version')!r}, not {WACZ_VERSION}",
        )
    listed: set[str] = set()
    for resource in resources:
        where = str(resource.get("path")) if isinstance(resource, dict) else DATAPACKAGE
        try:
            path, expected, size = resource["path"], resource["hash"], resource["bytes"]
        except (KeyError, TypeError):
            state.add("files", "error", "wacz.resource", where, "a malformed resource entry")
            continue
        state.listed += 1
        listed.add(path)
        member = members.get(path)
        if member is None:
            state.add(
                "files", "error", "wacz.missing", path, "listed in datapackage.json but missing"
            )
            continue
        got = _hash_member(archive, member)
        if isinstance(got, str):
            state.add("files", "error", "wacz.corrupt", path, f"cannot be unpacked: {got}")
            continue
        digest, length = got
        if digest != expected or length != size:
            state.add(
                "files",
                "error",
                "wacz.checksum",
                path,
                f"the content changed: datapackage.json says {expected} ({size} bytes), "
                f"the file is {digest} ({length} bytes)",
            )
            continue
        state.matched += 1
    for name in sorted(members):
        if name not in listed and name not in (DATAPACKAGE, DIGEST_FILE):
            state.add(
                "files",
                "error",
                "wacz.unlisted",
                name,
                "a file datapackage.json does not list (added after signing)",
            )
