"""Safe names for everything an export writes, so no field can steer a path.

Every folder and file name in a package is built from data that came from outside:
URLs, page titles, file names a platform sent, a field someone typed. Each is reduced
to a short ASCII name (letters, digits, ``.``, ``_``, ``-``), never a path; and every
path is checked, once assembled, to lie inside the package being built. A name that
would collide with another in the same folder (also case-insensitively, for Windows and
macOS) gets a numeric suffix.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath

from cybercase.errors import InvalidInputError

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slug(text: str, max_length: int = 40) -> str:
    """``"https://Market.example/ivory?id=7"`` → ``"https-market-example-ivory-id-7"``.

    Empty when nothing usable is left; callers supply their own fallback.
    """
    value = _SLUG_UNSAFE.sub("-", _ascii(text).lower()).strip("-")
    return value[:max_length].rstrip("-")


def url_slug(url: str, max_length: int = 40) -> str:
    """A slug of a URL without its scheme, so names start with the host."""
    return slug(re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", url), max_length)


def safe_file_name(name: str, max_length: int = 100, fallback: str = "file") -> str:
    """A file name that is a single safe component, keeping a plain extension.

    Folders in ``name`` are dropped (only the last component counts), so
    ``"../../x"`` becomes ``"x"`` and ``"C:\\\\evil\\\\a.png"`` becomes ``"a.png"``.
    """
    last = re.split(r"[/\\]", name)[-1]
    cleaned = _NAME_UNSAFE.sub("_", _ascii(last)).strip("._- ")
    stem, dot, ext = cleaned.rpartition(".")
    extension = f".{ext}" if dot and stem and _EXTENSION.match(f".{ext}") else ""
    base = stem if extension else cleaned
    base = base.strip("._- ")[: max(1, max_length - len(extension))].rstrip("._- ")
    if not base:
        base = fallback
    if base.split(".")[0].upper() in _WINDOWS_RESERVED:
        base = f"_{base}"
    return base + extension


class FolderNames:
    """The names already used in one folder; :meth:`claim` never returns a used one."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, name: str) -> str:
        """``name`` itself, or ``stem_2.ext``, ``stem_3.ext``... if taken."""
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, ext = name, ""
        suffix = f".{ext}" if ext else ""
        candidate = name
        number = 1
        while candidate.lower() in self._used:
            number += 1
            candidate = f"{stem}_{number}{suffix}"
        self._used.add(candidate.lower())
        return candidate


def check_relative(path: str) -> PurePosixPath:
    """A package path (``1-collection/E0001_x/a.png``) with only safe components."""
    parts = path.split("/")
    if (
        not path
        or "\\" in path
        or any(part in ("", ".", "..") or _NAME_UNSAFE.search(part) for part in parts)
    ):
        raise InvalidInputError(f"unsafe path in a package: {path!r}")
    return PurePosixPath(path)


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``."""
    target = root.joinpath(*check_relative(relative).parts)
    resolved_root = root.resolve()
    if not target.resolve().is_relative_to(resolved_root):
        raise InvalidInputError(f"path {relative!r} leads outside the package")
    return target
