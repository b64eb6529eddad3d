"""``cybercase export``: the case as a verifiable package (BagIt, report, CASE/UCO).

The package is built in a hidden temporary folder next to its final place and renamed
(or zipped) only once it is complete and has passed its own verification, so a failed
export never leaves something that looks like a finished package. The whole export
runs under the case lock: the log cannot grow while it is copied, and the export is
then recorded in it (``case.exported``, with the SHA-256 of the package's tag
manifest, which pins every file of the package).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import socket
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase import __version__
from cybercase.clock import format_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import (
    BrowserUnavailableError,
    InvalidInputError,
    StorageError,
    VerificationFailedError,
)
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence import log as logfile
from cybercase.evidence.case import CASE_JSON, KEYS_DIR, leftovers_draft
from cybercase.evidence.fsio import fsync_dir, storage_error
from cybercase.evidence.state import CASE_EXPORTED
from cybercase.evidence.timestamps import token_exports
from cybercase.evidence.tsa_client import TsaSettings
from cybercase.evidence.verify import VerificationReport, verify_case
from cybercase.investigate.analysis import logged_analyses
from cybercase.progress import NullProgress, Progress
from cybercase.report.html import (
    REPLAY_APP,
    ReportInputs,
    render_custody,
    render_index,
    render_replay_placeholder,
    render_verify_txt,
    replay_links,
)
from cybercase.report.jsonld import render_jsonld
from cybercase.report.layout import (
    CUSTODY,
    PRESERVATION,
    Plan,
    PlannedFile,
    plan_package,
    response_items,
    select_items,
)
from cybercase.report.names import inside, safe_file_name
from cybercase.report.statement import (
    SIGNATURE_NAME,
    STATEMENT_NAME,
    TAG_SIGNATURE_NAME,
    Exporter,
    ExportStatement,
    LogHead,
    sign_statement,
)
from cybercase.report.timestamps import package_tokens
from cybercase.report.wacz import REPLAY_FOLDER, WaczResult, captures_of, tsa_client, write_wacz
from cybercase.report.zipfiles import durable_zip
from cybercase.request.pdf import print_pdf

PACKAGE_LOG = f"{CUSTODY}/{logfile.LOG_NAME}"
PACKAGE_KEYS = f"{CUSTODY}/keys"
HASHES_CSV = f"{PRESERVATION}/hashes.csv"
VERIFICATION_JSON = f"{PRESERVATION}/verification.json"
CHECKER_NAME = "check_custody.py"
REPORT_PDF = "report.pdf"
TAGMANIFEST = "tagmanifest-sha256.txt"
STORED_SUFFIXES = frozenset({".gz", ".zip", ".png", ".jpg", ".jpeg", ".webp", ".pdf", ".mp4"})


@dataclass(slots=True)
class ExportResult:
    """What an export made."""

    case_id: str
    package: str
    """The package's name (its folder name, and the zip's name without ``.zip``)."""
    path: Path
    """The package folder, or the zip file with ``--zip``."""
    files: int
    bytes: int
    tagmanifest: str
    """``sha256:`` of ``tagmanifest-sha256.txt``, as recorded in the custody log."""
    zip_digest: str | None
    entry_seq: int
    items: list[str]
    excluded: list[str]
    pdf: bool
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "case_id": self.case_id,
            "package": self.package,
            "path": str(self.path),
            "files": self.files,
            "bytes": self.bytes,
            "tagmanifest": self.tagmanifest,
            "zip": self.zip_digest,
            "entry_seq": self.entry_seq,
            "items": self.items,
            "excluded": self.excluded,
            "pdf": self.pdf,
            "notes": self.notes,
        }


def export_case(
    case: Case,
    signer: Signer,
    out: Path,
    *,
    items: Sequence[str] = (),
    make_zip: bool = False,
    pdf: bool = True,
    browser: Path | None = None,
    progress: Progress | None = None,
    tsa: TsaSettings | None = None,
    wacz: bool = True,
) -> ExportResult:
    """Export ``case`` into a new package under ``out`` and record the export in the log.

    With ``wacz`` the package holds a signed WACZ of the captures for replay
    (``data/replay/``), timestamped by the authorities of ``tsa`` when there are some.
    """
    progress = progress or NullProgress()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error("create the export folder", out, exc) from exc
    if not out.is_dir():
        raise InvalidInputError(f"{out} is not a folder", hint="give --out a folder")
    staging: Path | None = None
    final: Path | None = None
    with case.transaction(signer) as cleaning:
        removed = remove_export_leftovers(case, out)
        if removed:
            cleaning.add(
                leftovers_draft(
                    str(out.absolute()),
                    removed,
                    "the unfinished package of an interrupted export; not evidence",
                )
            )
    try:
        with case.transaction(signer) as tx:
            included = select_items(case.state, items, response_items(case.entries()))
            live = verify_case(case.root, progress=progress)
            if not live.ok:
                raise VerificationFailedError(
                    f"case {case.meta.id} failed verification ({len(live.errors)} problem(s)); "
                    "nothing was exported",
                    hint="run 'cybercase verify' for the details, and restore damaged "
                    "files from a copy",
                )
            name = _free_name(out, f"{safe_file_name(case.meta.id)}_{case.clock.now():%Y-%m-%d}")
            staging = out / f".{name}.exporting-{_root_tag(case)}-{secrets.token_hex(4)}"
            try:
                staging.mkdir()
            except OSError as exc:
                raise storage_error("create the package in", out, exc) from exc
            built = _build(
                case, signer, staging, name, included, live, pdf, browser, progress, (wacz, tsa)
            )
            tagmanifest = str(hash_file(staging / TAGMANIFEST))
            zip_digest: str | None = None
            if make_zip:
                final = out / f"{name}.zip"
                zip_digest = str(_write_zip(staging, name, final))
                shutil.rmtree(staging, ignore_errors=True)
                staging = None
            else:
                final = out / name
                _sync_tree(staging)
                staging.rename(final)
                staging = None
                fsync_dir(out)
            detail: dict[str, Any] = {
                "package": name,
                "format": "bagit",
                "tagmanifest": tagmanifest,
                "files": built.files,
                "bytes": built.bytes,
                "items": built.statement.items,
                "excluded": built.statement.excluded,
                "log": built.statement.log.model_dump(),
            }
            if zip_digest:
                detail["zip"] = zip_digest
            # Where the copy went and from which machine: a package is evidence handed out.
            detail["to"] = str(final.absolute())
            detail["host"] = socket.gethostname()
            if built.replay is not None:
                detail.update(built.replay.detail())
            tx.add(EntryDraft(CASE_EXPORTED, (), detail))
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if final is not None:
            with contextlib.suppress(OSError):
                if final.is_dir():
                    shutil.rmtree(final)
                else:
                    final.unlink()
        raise
    return ExportResult(
        case_id=case.meta.id,
        package=name,
        path=final,
        files=built.files,
        bytes=built.bytes,
        tagmanifest=tagmanifest,
        zip_digest=zip_digest,
        entry_seq=tx.committed[-1].seq,
        items=built.statement.items,
        excluded=built.statement.excluded,
        pdf=built.pdf,
        notes=built.notes,
    )


_STAGING = re.compile(r"^\.(?P<name>.+)\.exporting-(?:(?P<tag>[0-9a-f]{8})-)?[0-9a-f]{8}$")
_ZIP_PART = re.compile(r"^\.(?P<name>.+)\.zip\.[0-9a-f]{8}\.part$")


def _root_tag(case: Case) -> str:
    """Names this case folder in its staging folders' names (copies of a case share an id)."""
    return hashlib.sha256(str(case.root.resolve()).encode("utf-8")).hexdigest()[:8]


def remove_export_leftovers(case: Case, out: Path) -> list[tuple[str, int]]:
    """Remove unfinished packages of this case that killed exports left in ``out``.

    An export holds the case lock from its first byte to its rename, so under the lock
    every staging folder (``.<package>.exporting-…``) and zip part of this case in ``out``
    belongs to an export that died. Other cases' leftovers are not touched.
    """
    prefix = f"{safe_file_name(case.meta.id)}_"
    tag = _root_tag(case)
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


@dataclass(slots=True)
class _Built:
    statement: ExportStatement
    files: int
    bytes: int
    pdf: bool
    notes: list[str]
    replay: WaczResult | None = None


def _sync_tree(root: Path) -> None:
    """Make every file and folder of the package durable before it takes its final name."""
    for folder, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def _free_name(out: Path, base: str) -> str:
    name, number = base, 1
    while (out / name).exists() or (out / f"{name}.zip").exists():
        number += 1
        name = f"{base}_{number}"
    return name


def _write(root: Path, relative: str, data: bytes) -> None:
    target = inside(root, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as fh:
        fh.write(data)


def _copy_object(case: Case, planned: PlannedFile, target: Path) -> None:
    """Copy one object (the new package's own verification re-hashes it against the log)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = case.store.path_for(Digest.parse(planned.digest))
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def _build(
    case: Case,
    signer: Signer,
    staging: Path,
    name: str,
    included: set[str],
    live: VerificationReport,
    pdf: bool,
    browser: Path | None,
    progress: Progress,
    replay_options: tuple[bool, TsaSettings | None] = (False, None),
) -> _Built:
    """Fill ``staging`` with the complete, bagged package."""
    import bagit

    state = case.state
    try:
        with case.log_path.open("rb") as fh:
            log_bytes = fh.read(state.end)
        _write(staging, PACKAGE_LOG, log_bytes)
        entries = [
            line.entry for line in logfile.scan(inside(staging, PACKAGE_LOG)).lines if line.entry
        ]
        plan = plan_package(state, entries, included)
        total = sum(f.size for f in plan.files)
        progress.start("Copying evidence into the package", total)
        for planned in plan.files:
            _copy_object(case, planned, inside(staging, planned.path))
            progress.advance(planned.size)
        progress.finish()
        notes: list[str] = []
        replay = _replay(case, signer, plan, staging, name, replay_options, progress, notes)
        _write(staging, CASE_JSON, (case.root / CASE_JSON).read_bytes())
        keys = sorted(state.keys.values(), key=lambda k: k.registered_seq)
        for key in keys:
            pub = case.root / KEYS_DIR / f"{key.fingerprint}.pub"
            _write(staging, f"{PACKAGE_KEYS}/{key.fingerprint}.pub", pub.read_bytes())
        statement = ExportStatement(
            case_id=case.meta.id,
            package=name,
            created=format_utc(case.clock.now()),
            tool=f"cybercase {__version__}",
            exporter=Exporter(name=signer.name, key=signer.fingerprint),
            log=LogHead(seq=state.last_seq, hash=state.last_hash or ""),
            items=sorted(plan.items),
            excluded=plan.excluded,
            checker=str(Digest.of_bytes(checker_source())),
        )
        statement_bytes = statement.to_bytes()
        _write(staging, f"{CUSTODY}/{STATEMENT_NAME}", statement_bytes)
        _write(staging, f"{CUSTODY}/{SIGNATURE_NAME}", sign_statement(statement_bytes, signer))
        _write(staging, f"{CUSTODY}/{CHECKER_NAME}", checker_source())
        _write(staging, HASHES_CSV, _hashes_csv(plan))
        verification = live.to_json()
        verification["target"] = case.meta.id
        _write(
            staging,
            VERIFICATION_JSON,
            (json.dumps(verification, indent=2, ensure_ascii=False) + "\n").encode(),
        )

        # Not bagged yet: the payload is still at the top of the folder (no data/).
        def staged(planned: PlannedFile) -> bytes:
            return inside(staging, planned.path).read_bytes()

        _write(staging, "case.jsonld", render_jsonld(case.meta, plan, entries, keys, staged))
        tokens = package_tokens(token_exports(case), plan, staged)
        inputs = ReportInputs(
            case.meta, plan, entries, keys, live, statement, staging, tokens,
            replay_links(replay), analyses=logged_analyses(case),
        )  # fmt: skip
        _write(staging, f"{CUSTODY}/custody.html", render_custody(inputs).encode("utf-8"))
        bag_info = {
            "Source-Organization": case.meta.agency,
            "External-Identifier": case.meta.id,
            "External-Description": case.meta.title,
            "Contact-Name": signer.name,
            "Bagging-Date": f"{case.clock.now():%Y-%m-%d}",
            "Bag-Software-Agent": f"cybercase {__version__} with bagit {bagit.VERSION}",
            "Cybercase-Log-Head": f"{statement.log.seq} {statement.log.hash}",
        }
        bagit.make_bag(
            str(staging),
            {k: " ".join(v.split()) for k, v in bag_info.items()},
            checksums=["sha256"],
            processes=_bag_processes(plan),
        )
        (staging / "index.html").write_text(render_index(inputs), encoding="utf-8")
        if replay is not None:
            _write(staging, REPLAY_APP, render_replay_placeholder(inputs).encode("utf-8"))
        verify_text = render_verify_txt(inputs, _warcs(plan), name)
        (staging / "VERIFY.txt").write_text(verify_text, encoding="utf-8")
        made_pdf = False
        if pdf:
            document, note = _report_pdf(inputs, browser)
            if document is not None:
                (staging / REPORT_PDF).write_bytes(document)
                made_pdf = True
            if note:
                notes.append(note)
        bagit.Bag(str(staging)).save(manifests=False)
        tag_manifest = (staging / TAGMANIFEST).read_bytes()
        _write(staging, TAG_SIGNATURE_NAME, sign_statement(tag_manifest, signer))
    except OSError as exc:
        raise storage_error("write the package in", staging, exc) from exc
    except bagit.BagError as exc:
        raise StorageError(f"the package could not be bagged: {exc}") from exc
    from cybercase.report.verify import verify_package

    check = verify_package(staging)
    if not check.ok:
        raise VerificationFailedError(
            "the new package failed its own verification; nothing was exported: "
            + "; ".join(f.line() for f in check.errors[:3]),
            hint="check the disk, then try again",
        )
    files = sum(1 for p in staging.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
    return _Built(statement, files, size, made_pdf, notes, replay)


def _replay(
    case: Case,
    signer: Signer,
    plan: Plan,
    staging: Path,
    name: str,
    options: tuple[bool, TsaSettings | None],
    progress: Progress,
    notes: list[str],
) -> WaczResult | None:
    """The package's WACZ (before bagging, so at ``replay/``; ``data/replay/`` after)."""
    wanted, settings = options
    if not wanted or not captures_of(plan):
        return None
    client = tsa_client(settings, case)
    try:
        result = write_wacz(
            case,
            signer,
            plan,
            staging / REPLAY_FOLDER / f"{name}.wacz",
            tsa=client,
            progress=progress,
        )
    finally:
        if client is not None:
            client.close()
    notes.extend(result.notes)
    return result


def _bag_processes(plan: Plan) -> int:
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


def _hashes_csv(plan: Plan) -> bytes:
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


def _warcs(plan: Plan) -> list[str]:
    return [f.data_path for f in plan.files if f.role == "warc" or f.path.endswith(".warc.gz")]


def _report_pdf(inputs: ReportInputs, browser: Path | None) -> tuple[bytes | None, str | None]:
    """The report printed by Chromium, when this installation can."""
    try:
        document = print_pdf(render_index(inputs, embed_images=True), executable=browser)
    except BrowserUnavailableError as exc:
        return None, f"no PDF of the report: {exc.message}"
    return document, None


def _write_zip(staging: Path, name: str, final: Path) -> Digest:
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
