"""Writing the files of a package: copies of objects, ``hashes.csv``, the checker, the
PDF report, and the durable finish (every file synced, the zip written atomically).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from pathlib import Path

from cybercase.digest import Digest, hash_file
from cybercase.errors import BrowserUnavailableError
from cybercase.evidence import Case
from cybercase.evidence.fsio import fsync_dir
from cybercase.report.html.render import ReportInputs, render_index
from cybercase.report.layout import Plan, PlannedFile
from cybercase.report.names import inside
from cybercase.report.zipfiles import durable_zip
from cybercase.request.pdf import print_pdf

CHECKER_NAME = "check_custody.py"
STORED_SUFFIXES = frozenset({".gz", ".zip", ".png", ".jpg", ".jpeg", ".webp", ".pdf", ".mp4"})


def sync_tree(root: Path) -> None:
    """Make every file and folder of the package durable before it takes its final name."""
    for folder, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def write_new(root: Path, relative: str, data: bytes) -> None:
    target = inside(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as fh:
        fh.write(data)


def copy_object(case: Case, planned: PlannedFile, target: Path) -> None:
    """Copy one object (the new package's own verification re-hashes it against the log)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = case.store.path_for(Digest.parse(planned.digest))
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def bag_processes(plan: Plan) -> int:
    """Hash in parallel processes only when there is enough to hash to pay for starting them."""
    if sum(f.size for f in plan.files) < 64 * 1024 * 1024:
        return 1
    return min(8, os.cpu_count() or 1)


def checker_source() -> bytes:
    """The standalone custody checker shipped in every package."""
    from importlib import resources

    return resources.files("cybercase.report.standalone").joinpath(CHECKER_NAME).read_bytes()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet will show as text, not run as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def hashes_csv(plan: Plan) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "path",
            "sha256",
            "size",
            "items",
            "role",
            "media_type",
            "logged_name",
            "entry_seq",
            "action",
            "recorded_at",
            "recorded_by",
        ]
    )
    for f in plan.files:
        writer.writerow(
            [
                f.data_path,
                f.digest.removeprefix("sha256:"),
                f.size,
                _cell(" ".join(f.items)),
                _cell(f.role),
                _cell(f.media_type),
                _cell(f.name),
                f.seq,
                _cell(f.action),
                f.at,
                _cell(f.actor),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def warcs(plan: Plan) -> list[str]:
    return [f.data_path for f in plan.files if f.role == "warc" or f.path.endswith(".warc.gz")]


def report_pdf(inputs: ReportInputs, browser: Path | None) -> tuple[bytes | None, str | None]:
    """The report printed by Chromium, when this installation can."""
    try:
        document = print_pdf(render_index(inputs, embed_images=True), executable=browser)
    except BrowserUnavailableError as exc:
        return None, f"no PDF of the report: {exc.message}"
    return document, None


def write_zip(staging: Path, name: str, final: Path) -> Digest:
    """Zip the package (under one top folder ``name/``) into ``final``, atomically."""
    with durable_zip(final, "zip") as part, zipfile.ZipFile(part, "x", allowZip64=True) as archive:
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            relative = path.relative_to(staging).as_posix()
            method = (
                zipfile.ZIP_STORED
                if path.suffix.lower() in STORED_SUFFIXES
                else zipfile.ZIP_DEFLATED
            )
            archive.write(path, f"{name}/{relative}", compress_type=method)
    return hash_file(final)
