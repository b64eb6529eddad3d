"""``cybercase training tamper``: alter one byte of one exhibit and watch verify catch it.

The classroom moment: students export a package, the trainer copies it, changes a
single byte of a screenshot (or a WARC, or any exhibit), and both ``cybercase verify``
and the standard tools refuse the copy. The original package is never touched.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cybercase.errors import InvalidInputError, StorageError
from cybercase.evidence.verify import VerificationReport

# Exhibits a court would look at first, in the order we prefer to alter them.
PREFERRED = ("screenshot.png", "capture.warc.gz", "page.pdf", "record.json")


@dataclass(slots=True)
class TamperResult:
    """What was altered, where, and what verification said about the copy."""

    original: Path
    copy: Path
    altered: str
    """The altered file, relative to the package."""
    offset: int
    before: int
    after: int
    report: VerificationReport

    @property
    def caught(self) -> bool:
        """Whether verification refused the altered copy (it always should)."""
        return not self.report.ok

    def to_json(self) -> dict[str, object]:
        """For ``--json``."""
        return {
            "original": str(self.original),
            "copy": str(self.copy),
            "altered": self.altered,
            "offset": self.offset,
            "byte_before": self.before,
            "byte_after": self.after,
            "caught": self.caught,
            "verification": self.report.to_json(),
        }


def _copy_package(package: Path, target: Path) -> Path:
    if target.exists():
        raise InvalidInputError(f"{target} already exists", hint="remove it or choose --out")
    try:
        if package.is_dir():
            shutil.copytree(package, target)
        elif zipfile.is_zipfile(package):
            with zipfile.ZipFile(package) as archive:
                archive.extractall(target)
            inner = [p for p in target.iterdir() if p.is_dir()]
            if len(inner) == 1 and not (target / "bagit.txt").exists():
                return inner[0]
        else:
            raise InvalidInputError(f"{package} is not an exported package (folder or .zip)")
    except OSError as exc:
        raise StorageError(f"cannot copy {package}: {exc.strerror}") from exc
    return target


def _exhibit(root: Path) -> Path:
    collection = root / "data" / "1-collection"
    candidates = (
        sorted(p for p in collection.rglob("*") if p.is_file()) if collection.is_dir() else []
    )
    for name in PREFERRED:
        for path in candidates:
            if path.name == name:
                return path
    if candidates:
        return candidates[0]
    payload = sorted(p for p in (root / "data").rglob("*") if p.is_file())
    if not payload:
        raise InvalidInputError(f"{root} holds no exhibit to alter")
    return payload[0]


def tamper(package: Path, out: Path | None = None) -> TamperResult:
    """Copy ``package``, flip one byte in the middle of one exhibit, verify the copy."""
    from cybercase.report.verify import is_package, verify_package

    if not package.exists() or not is_package(package):
        raise InvalidInputError(
            f"{package} is not an exported package",
            hint="export one first with 'cybercase export' (or run 'cybercase demo')",
        )
    stem = package.name.removesuffix(".zip")
    target = out if out is not None else package.with_name(f"{stem}-tampered")
    root = _copy_package(package, target)
    victim = _exhibit(root)
    data = bytearray(victim.read_bytes())
    if not data:
        raise InvalidInputError(f"{victim} is empty: nothing to alter")
    offset = len(data) // 2
    before = data[offset]
    data[offset] ^= 0x01
    victim.chmod(0o644)
    victim.write_bytes(bytes(data))
    report = verify_package(root)
    return TamperResult(
        original=package,
        copy=root,
        altered=victim.relative_to(root).as_posix(),
        offset=offset,
        before=before,
        after=data[offset],
        report=report,
    )
