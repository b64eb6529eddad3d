"""The steps of a request after its creation: sent, response, extension, closing.

Each step is one custody entry naming the request. It is checked against the state
derived from the log *under the case lock* (so two investigators cannot both extend the
last allowed time), and a step that is not allowed raises before anything is stored:
the log and the store stay exactly as they were.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from cybercase.clock import Clock, format_utc, parse_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import InvalidInputError, InvalidTransitionError
from cybercase.evidence import Artifact, Case, EntryDraft, Signer, Transaction
from cybercase.request.actions import (
    LetterUsed,
    RequestClosedDetail,
    RequestExtendedDetail,
    RequestSentDetail,
    ResponseFile,
    ResponseReceivedDetail,
)
from cybercase.request.config import RequestConfig
from cybercase.request.fields import parse_outcome, parse_via
from cybercase.request.letter_files import follows_context, letter_context, store_letter
from cybercase.request.letters import LetterRenderer
from cybercase.request.lifecycle import (
    REQUEST_CLOSED,
    REQUEST_EXTENDED,
    REQUEST_SENT,
    RESPONSE_RECEIVED,
    check_close,
    check_extend,
    check_respond,
    check_send,
)
from cybercase.request.pdf import PdfChoice
from cybercase.request.query import load_record, load_status
from cybercase.request.result import StepResult

MAX_TEXT = 4000


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > MAX_TEXT:
        raise InvalidInputError(f"the note is longer than {MAX_TEXT} characters")
    return note or None


def parse_time(value: str, option: str) -> datetime:
    """A UTC time given on the command line (``2026-03-01T09:00Z`` or ``2026-03-01``)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return parse_utc(f"{text}T00:00:00Z")
        return parse_utc(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"{option} {value!r} is not a time with a timezone",
            hint="write it like 2026-03-01T09:30:00Z",
        ) from exc


def mark_sent(
    case: Case,
    signer: Signer,
    request_id: str,
    *,
    via: str,
    reference: str | None = None,
    at: datetime | None = None,
    note: str | None = None,
    receipt: Path | None = None,
    clock: Clock | None = None,
) -> StepResult:
    """Record that the request went out (``request.sent``); preservation deadlines start here.

    ``at`` is when it was actually sent, if earlier than now (a letter posted yesterday);
    ``receipt`` is a proof of sending (portal confirmation, sent email) kept as an artifact.
    """
    clock = clock or case.clock
    via = parse_via(via)
    note = _note(note)
    reference = _note(reference)
    load_status(case, request_id)
    if receipt is not None and not receipt.is_file():
        raise InvalidInputError(f"receipt file not found: {receipt}")
    with case.transaction(signer) as tx:
        status = load_status(case, request_id)
        now = clock.now()
        sent_at = at or now
        check_send(status, sent_at, now)
        expires: str | None = None
        if status.type == "preservation" and status.policy is not None:
            expires = format_utc(sent_at + timedelta(days=status.policy.preservation_days))
        artifacts: list[Artifact] = []
        if receipt is not None:
            digest = case.store.put_file(receipt, sync=False)
            artifacts.append(
                Artifact(
                    role="receipt",
                    name=f"receipt-{receipt.name}",
                    digest=str(digest),
                    size=digest.size or 0,
                    media_type=mimetypes.guess_type(receipt.name)[0] or "application/octet-stream",
                )
            )
        detail = RequestSentDetail(
            platform=status.platform,
            type=status.type,
            via=via,
            sent_at=format_utc(sent_at),
            reference=reference or None,
            note=note or None,
            expires=expires,
            artifacts=artifacts or None,
        )
        tx.add(EntryDraft.of(REQUEST_SENT, detail, (status.id,)))
    return StepResult(status.id, tx.committed[-1], load_status(case, status.id), artifacts)


def record_response(
    case: Case,
    signer: Signer,
    request_id: str,
    files: Sequence[Path],
    *,
    reference: str | None = None,
    note: str | None = None,
    expected: Sequence[str] = (),
) -> StepResult:
    """Take in what the platform sent: one evidence item per file, then ``response.received``.

    The items (``item.imported``, with ``request`` in their detail) and the response
    entry naming the request and the new items are committed together. ``expected`` are
    SHA-256 digests the platform gave for the files, in the same order: a file that does
    not match is refused before anything is stored.
    """
    if not files:
        raise InvalidInputError("no file given: name the files the platform sent")
    status = load_status(case, request_id)
    check_respond(status)
    note = _note(note)
    reference = _note(reference)
    if expected:
        if len(expected) != len(files):
            raise InvalidInputError(
                f"{len(expected)} --sha256 value(s) for {len(files)} file(s)",
                hint="give one --sha256 per file, in the same order, or none",
            )
        for path, want in zip(files, expected, strict=True):
            try:
                wanted = Digest.parse(want.strip().lower())
            except ValueError as exc:
                raise InvalidInputError(f"--sha256 {want!r} is not a SHA-256 digest") from exc
            if not path.is_file():
                raise InvalidInputError(f"file not found: {path}")
            got = hash_file(path)
            if got.hex != wanted.hex:
                raise InvalidInputError(
                    f"{path.name} does not match the SHA-256 the platform gave "
                    f"(expected {wanted}, file is {got})",
                    hint="ask the platform to send it again; nothing was imported",
                )

    def link(tx: Transaction, ids: list[str]) -> None:
        current = load_status(case, status.id)
        check_respond(current)
        files: list[ResponseFile] = []
        for draft in tx.drafts:
            if draft.items and draft.items[0] in ids:
                for artifact in draft.detail.get("artifacts", []):
                    files.append(
                        ResponseFile(
                            item=draft.items[0],
                            name=artifact["name"],
                            digest=artifact["digest"],
                            size=artifact["size"],
                        )
                    )
        detail = ResponseReceivedDetail(
            platform=current.platform,
            type=current.type,
            files=files,
            reference=reference or None,
            note=note or None,
        )
        tx.add(EntryDraft.of(RESPONSE_RECEIVED, detail, (current.id, *ids)))

    views = case.add_files(
        signer,
        list(files),
        note=note,
        source=status.platform,
        extra={"request": status.id},
        then=link,
    )
    entries = case.item_entries(status.id)
    return StepResult(
        status.id,
        entries[-1],
        load_status(case, status.id),
        [a for v in views for a in v.artifacts],
        items=[v.id for v in views],
    )


def extend_request(
    case: Case,
    signer: Signer,
    request_id: str,
    *,
    days: int | None = None,
    note: str | None = None,
    config: RequestConfig | None = None,
    pdf: PdfChoice = "auto",
    clock: Clock | None = None,
) -> StepResult:
    """Ask for a preservation to be extended (``request.extended``), with its letter.

    Allowed only for a preservation request that was sent, is open, has not expired and
    has extensions left. Asked after the extension deadline, it is recorded with a warning.
    """
    config = config or RequestConfig()
    clock = clock or case.clock
    note = _note(note)
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInputError("--days must be between 1 and 3650")
    check_extend(load_status(case, request_id), clock.now())
    folder = config.templates_folder()
    with case.transaction(signer) as tx:
        status = load_status(case, request_id)
        now = clock.now()
        warnings = check_extend(status, now)
        previous = status.expires_at
        if status.policy is None or previous is None:
            raise InvalidTransitionError(f"{status.id} records no preservation period to extend")
        length = days or status.policy.extension_days
        number = len(status.extensions) + 1
        new_expiry = previous + timedelta(days=length)
        record = load_record(case, status)
        # The extension letter is in the language of the request it extends.
        letter = LetterRenderer(folder, record.language).render(
            "preservation",
            letter_context(
                case,
                record,
                date_text=format_utc(now),
                follows=follows_context(case, None),
                extension={
                    "number": number,
                    "days": length,
                    "sent": format_utc(status.sent_at) if status.sent_at else None,
                    "platform_reference": status.reference,
                    "previous_expiry": format_utc(previous),
                    "new_expiry": format_utc(new_expiry),
                },
            ),
        )
        artifacts, messages = store_letter(
            case, letter.html, pdf, stem=f"extension-{number}", role="extension-letter"
        )
        detail = RequestExtendedDetail(
            platform=status.platform,
            type=status.type,
            number=number,
            days=length,
            previous_expiry=format_utc(previous),
            expires=format_utc(new_expiry),
            letter=LetterUsed.model_validate(letter.describe()),
            artifacts=artifacts,
            note=note or None,
            warnings=warnings or None,
        )
        tx.add(EntryDraft.of(REQUEST_EXTENDED, detail, (status.id,)))
    if letter.note:
        messages.insert(0, letter.note)
    return StepResult(
        status.id,
        tx.committed[-1],
        load_status(case, status.id),
        artifacts,
        messages=[*warnings, *messages],
    )


def close_request(
    case: Case,
    signer: Signer,
    request_id: str,
    *,
    outcome: str,
    note: str | None = None,
) -> StepResult:
    """Close a request with its outcome (``request.closed``); nothing can follow it."""
    outcome = parse_outcome(outcome)
    note = _note(note)
    load_status(case, request_id)
    with case.transaction(signer) as tx:
        status = load_status(case, request_id)
        check_close(status)
        detail = RequestClosedDetail(
            platform=status.platform, type=status.type, outcome=outcome, note=note or None
        )
        tx.add(EntryDraft.of(REQUEST_CLOSED, detail, (status.id,)))
    return StepResult(status.id, tx.committed[-1], load_status(case, status.id))
