"""The signed export statement of a package: who exported it, up to which entry of the
log, without which items, and the checker it ships.
"""

from __future__ import annotations

from pathlib import Path

from cybercase.digest import hash_file
from cybercase.errors import InvalidInputError
from cybercase.evidence.verify.custody import LogCheck
from cybercase.evidence.verify.findings import Finding
from cybercase.report.statement import (
    SIGNATURE_NAME,
    STATEMENT_NAME,
    TAG_SIGNATURE_NAME,
    ExportStatement,
    statement_signature_ok,
)
from cybercase.report.verify.bag import LOG_PATH, TAGMANIFEST


def check_statement(
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
