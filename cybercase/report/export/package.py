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
import json
import secrets
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cybercase import __version__
from cybercase.clock import format_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import InvalidInputError, StorageError, VerificationFailedError
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.case import CASE_JSON, KEYS_DIR, leftovers_draft
from cybercase.evidence.fsio import fsync_dir, storage_error
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.timestamps.exports import token_exports
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import verify_case
from cybercase.evidence.verify.findings import VerificationReport
from cybercase.investigate.analysis import logged_analyses
from cybercase.progress import NullProgress, Progress
from cybercase.report.actions import CASE_EXPORTED, CaseExported, ExportedLog
from cybercase.report.export.files import (
    CHECKER_NAME,
    bag_processes,
    checker_source,
    copy_object,
    hashes_csv,
    report_pdf,
    sync_tree,
    warcs,
    write_new,
    write_zip,
)
from cybercase.report.export.leftovers import remove_export_leftovers, root_tag
from cybercase.report.html.render import (
    REPLAY_APP,
    ReportInputs,
    render_custody,
    render_index,
    render_replay_placeholder,
    render_verify_txt,
    replay_links,
)
from cybercase.report.jsonld.document import render_jsonld
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
from cybercase.report.wacz.views import captures_of
from cybercase.report.wacz.write import REPLAY_FOLDER, WaczResult, tsa_client, write_wacz

PACKAGE_LOG = f"{CUSTODY}/{logfile.LOG_NAME}"


PACKAGE_KEYS = f"{CUSTODY}/keys"


HASHES_CSV = f"{PRESERVATION}/hashes.csv"


VERIFICATION_JSON = f"{PRESERVATION}/verification.json"


REPORT_PDF = "report.pdf"


TAGMANIFEST = "tagmanifest-sha256.txt"


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
            staging = out / f".{name}.exporting-{root_tag(case)}-{secrets.token_hex(4)}"
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
                zip_digest = str(write_zip(staging, name, final))
                shutil.rmtree(staging, ignore_errors=True)
                staging = None
            else:
                final = out / name
                sync_tree(staging)
                staging.rename(final)
                staging = None
                fsync_dir(out)
            # Where the copy went and from which machine: a package is evidence handed out.
            detail = CaseExported(
                package=name,
                format="bagit",
                tagmanifest=tagmanifest,
                files=built.files,
                bytes=built.bytes,
                items=built.statement.items,
                excluded=built.statement.excluded,
                log=ExportedLog(seq=built.statement.log.seq, hash=built.statement.log.hash),
                zip=zip_digest or None,
                to=str(final.absolute()),
                host=socket.gethostname(),
                **(built.replay.detail() if built.replay is not None else {}),
            )
            tx.add(EntryDraft.of(CASE_EXPORTED, detail))
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


@dataclass(slots=True)
class _Built:
    statement: ExportStatement
    files: int
    bytes: int
    pdf: bool
    notes: list[str]
    replay: WaczResult | None = None


def _free_name(out: Path, base: str) -> str:
    name, number = base, 1
    while (out / name).exists() or (out / f"{name}.zip").exists():
        number += 1
        name = f"{base}_{number}"
    return name


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
        write_new(staging, PACKAGE_LOG, log_bytes)
        entries = [
            line.entry for line in logfile.scan(inside(staging, PACKAGE_LOG)).lines if line.entry
        ]
        plan = plan_package(state, entries, included)
        total = sum(f.size for f in plan.files)
        progress.start("Copying evidence into the package", total)
        for planned in plan.files:
            copy_object(case, planned, inside(staging, planned.path))
            progress.advance(planned.size)
        progress.finish()
        notes: list[str] = []
        replay = _replay(case, signer, plan, staging, name, replay_options, progress, notes)
        write_new(staging, CASE_JSON, (case.root / CASE_JSON).read_bytes())
        keys = sorted(state.keys.values(), key=lambda k: k.registered_seq)
        for key in keys:
            pub = case.root / KEYS_DIR / f"{key.fingerprint}.pub"
            write_new(staging, f"{PACKAGE_KEYS}/{key.fingerprint}.pub", pub.read_bytes())
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
        write_new(staging, f"{CUSTODY}/{STATEMENT_NAME}", statement_bytes)
        write_new(staging, f"{CUSTODY}/{SIGNATURE_NAME}", sign_statement(statement_bytes, signer))
        write_new(staging, f"{CUSTODY}/{CHECKER_NAME}", checker_source())
        write_new(staging, HASHES_CSV, hashes_csv(plan))
        verification = live.to_json()
        verification["target"] = case.meta.id
        write_new(
            staging,
            VERIFICATION_JSON,
            (json.dumps(verification, indent=2, ensure_ascii=False) + "\n").encode(),
        )

        # Not bagged yet: the payload is still at the top of the folder (no data/).
        def staged(planned: PlannedFile) -> bytes:
            return inside(staging, planned.path).read_bytes()

        write_new(staging, "case.jsonld", render_jsonld(case.meta, plan, entries, keys, staged))
        tokens = package_tokens(token_exports(case), plan, staged)
        inputs = ReportInputs(
            case.meta, plan, entries, keys, live, statement, staging, tokens,
            replay_links(replay), analyses=logged_analyses(case),
        )  # fmt: skip
        write_new(staging, f"{CUSTODY}/custody.html", render_custody(inputs).encode("utf-8"))
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
            processes=bag_processes(plan),
        )
        (staging / "index.html").write_text(render_index(inputs), encoding="utf-8")
        if replay is not None:
            write_new(staging, REPLAY_APP, render_replay_placeholder(inputs).encode("utf-8"))
        verify_text = render_verify_txt(inputs, warcs(plan), name)
        (staging / "VERIFY.txt").write_text(verify_text, encoding="utf-8")
        made_pdf = False
        if pdf:
            document, note = report_pdf(inputs, browser)
            if document is not None:
                (staging / REPORT_PDF).write_bytes(document)
                made_pdf = True
            if note:
                notes.append(note)
        bagit.Bag(str(staging)).save(manifests=False)
        tag_manifest = (staging / TAGMANIFEST).read_bytes()
        write_new(staging, TAG_SIGNATURE_NAME, sign_statement(tag_manifest, signer))
    except OSError as exc:
        raise storage_error("write the package in", staging, exc) from exc
    except bagit.BagError as exc:
        raise StorageError(f"the package could not be bagged: {exc}") from exc
    from cybercase.report.verify.package import verify_package

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
