"""What an interrupted export left in the output folder (a staging folder, a zip part),
recognised by name and removed, logged, at the next export.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from pathlib import Path

from cybercase.evidence import Case
from cybercase.evidence.fsio import fsync_dir, storage_error
from cybercase.report.names import safe_file_name

_STAGING = re.compile(r"^\.(?P<name>.+)\.exporting-(?:(?P<tag>[0-9a-f]{8})-)?[0-9a-f]{8}$")
_ZIP_PART = re.compile(r"^\.(?P<name>.+)\.zip\.[0-9a-f]{8}\.part$")


def root_tag(case: Case) -> str:
    """Names this case folder in its staging folders' names (copies of a case share an id)."""
    return hashlib.sha256(str(case.root.resolve()).encode("utf-8")).hexdigest()[:8]


def remove_export_leftovers(case: Case, out: Path) -> list[tuple[str, int]]:
    """Remove unfinished packages of this case that killed exports left in ``out``.

    An export holds the case lock from its first byte to its rename, so under the lock
    every staging folder (``.<package>.exporting-…``) and zip part of this case in ``out``
    belongs to an export that died. Other cases' leftovers are not touched.
    """
    prefix = f"{safe_file_name(case.meta.id)}_"
    tag = root_tag(case)
    removed: list[tuple[str, int]] = []
    try:
        entries = sorted(out.iterdir())
    except OSError as exc:
        raise storage_error("read the export folder", out, exc) from exc
    for path in entries:
        staging = _STAGING.match(path.name)
        part = _ZIP_PART.match(path.name)
        match = staging or part
        if match is None or not match.group("name").startswith(prefix):
            continue
        if staging is not None and staging.group("tag") not in (None, tag):
            continue
        if path.is_dir() and not path.is_symlink():
            size = sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())
            shutil.rmtree(path, ignore_errors=True)
        else:
            size = path.lstat().st_size
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append((path.name, size))
    if removed:
        fsync_dir(out)
    return removed
