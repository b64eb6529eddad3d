"""Creating a request: its record and letter stored, one ``request.created`` entry.

The values are gathered and checked first (:mod:`cybercase.request.draft`); only then is
the ``request.created`` entry written under the case lock, with the new id, the record
(``request.json``) and the rendered letter(s) as artifacts.
"""

from __future__ import annotations

from cybercase.clock import Clock, format_utc
from cybercase.evidence import Artifact, Case, EntryDraft, Signer
from cybercase.evidence.log.state import REQUEST_PREFIX
from cybercase.request.actions import REQUEST_CREATED, LetterUsed, RequestCreatedDetail
from cybercase.request.config import RequestConfig
from cybercase.request.draft import Ask, RequestSpec, build_record, complete, prepare
from cybercase.request.fields import clean
from cybercase.request.letter_files import follows_context, letter_context, store_letter
from cybercase.request.letters import LetterRenderer
from cybercase.request.models import (
    record_bytes,
)
from cybercase.request.pdf import PdfChoice
from cybercase.request.platforms import PlatformDirectory, load_directory
from cybercase.request.query import load_status
from cybercase.request.result import StepResult


def create_request(
    case: Case,
    signer: Signer,
    spec: RequestSpec,
    *,
    config: RequestConfig | None = None,
    directory: PlatformDirectory | None = None,
    ask: Ask | None = None,
    pdf: PdfChoice = "auto",
    clock: Clock | None = None,
) -> StepResult:
    """Create a request: its record and letter stored, one ``request.created`` entry.

    Nothing is stored until every value is known and valid; a missing value without
    ``ask`` (a script) is one error naming every option that is needed.
    """
    config = config or RequestConfig()
    directory = directory or load_directory(config)
    clock = clock or case.clock
    draft = prepare(case, signer, spec, config, directory)
    draft.values["notify_user"] = spec.notify_user
    for name in ("unit", "address", "country", "email", "phone"):
        draft.values[f"agency_{name}"] = clean(getattr(config.agency, name))
    if draft.type == "preservation":
        draft.policy = directory.policy(draft.platform, config, spec.days)
    complete(draft, ask)
    renderer = LetterRenderer(config.templates_folder(), draft.values["language"])
    # Validate everything once with a stand-in id, so a bad value fails before the lock.
    build_record(case, draft, f"{REQUEST_PREFIX}0000", format_utc(clock.now()))
    with case.transaction(signer) as tx:
        request_id = tx.new_id(REQUEST_PREFIX)
        created = format_utc(clock.now())
        record = build_record(case, draft, request_id, created)
        letter = renderer.render(
            record.type,
            letter_context(
                case,
                record,
                date_text=created,
                follows=follows_context(case, draft.follows),
                language=draft.values["language"],
            ),
        )
        body = record_bytes(record)
        record_digest = case.store.put_bytes(body, sync=False)
        artifacts = [
            Artifact(
                role="request",
                name="request.json",
                digest=str(record_digest),
                size=len(body),
                media_type="application/json",
            )
        ]
        letter_artifacts, messages = store_letter(
            case, letter.html, pdf, stem="letter", role="letter"
        )
        artifacts.extend(letter_artifacts)
        detail = RequestCreatedDetail(
            type=record.type,
            platform=draft.platform_key,
            addressee=record.addressee.legal_entity,
            targets=[t.value for t in record.targets],
            evidence=[e.item for e in record.evidence],
            letter=LetterUsed.model_validate(letter.describe()),
            artifacts=artifacts,
            follows=record.follows or None,
            policy=record.deadlines,
        )
        tx.add(EntryDraft.of(REQUEST_CREATED, detail, (request_id,)))
    if letter.note:
        messages.insert(0, letter.note)
    status = load_status(case, request_id)
    return StepResult(
        request_id, tx.committed[-1], status, artifacts, messages=[*draft.notes, *messages]
    )
