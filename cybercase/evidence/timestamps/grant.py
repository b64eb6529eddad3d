"""Trusted timestamps in a case: item tokens, seals of the custody log, pending items.

A hash proves that material has not changed since it was hashed; an RFC 3161 token
from a time-stamping authority (TSA) proves *when* it was hashed, by a third party
whose clock the investigator does not control.

What a token covers is a rule by artifact role, so that ``openssl ts -verify -data``
works on a file a reader can open:

- an **item token** covers the item's ``record`` (a capture record lists the hash of
  every artifact of the capture) or, for an imported file, the ``original`` itself;
- a **seal** covers the hash of the custody log's head entry. Each entry names the hash
  of the one before it, and an item's entry names its artifacts' hashes, so one seal
  anchors every entry and every artifact before it in one TSA round trip.

Every token is stored as an object (the ``.tsr`` response), with the certificates an
offline verifier needs (``tsa-chain``: what openssl calls ``-untrusted``; ``tsa-root``:
the root it chained to when granted), and a ``timestamp.granted`` custody entry names
what it covers. An item is *pending* while no item token names it and no later seal
covers it; capturing or adding never fails because no TSA answers: the attempt is
logged (``timestamp.failed``) and :func:`timestamp_pending` completes it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from cybercase.clock import format_utc
from cybercase.digest import Digest
from cybercase.errors import InvalidInputError, TimestampError
from cybercase.evidence.actions import (
    TIMESTAMP_FAILED,
    TIMESTAMP_GRANTED,
    Covered,
    FailedAttempt,
    TimestampDetail,
    TimestampFailed,
    TokenKind,
)
from cybercase.evidence.case import Case
from cybercase.evidence.keys.identity import Signer
from cybercase.evidence.log.entry import EntryDraft
from cybercase.evidence.log.jsonl import write_seal_copy
from cybercase.evidence.log.state import EVIDENCE_PREFIX, ItemView, artifacts_of
from cybercase.evidence.models import Artifact
from cybercase.evidence.timestamps.records import (
    CHAIN_ROLE,
    ITEM,
    PEM_MEDIA,
    RECEIVED_ROLE,
    REPLY_MEDIA,
    ROOT_ROLE,
    SEAL,
    TOKEN_ROLE,
    Granted,
    TimestampOutcome,
    covered_artifact,
    is_seal,
    pending_from,
)
from cybercase.evidence.timestamps.tokens import certificates_pem, fingerprint, subject_text
from cybercase.evidence.timestamps.tsa_client import Grant, TsaAttempt, TsaClient, TsaSettings


def pending_items(case: Case) -> list[str]:
    """Evidence items covered neither by their own token nor by a later seal."""
    case.refresh()
    return pending_from(case.state, case.entries())


def _store_grant(
    case: Case, grant: Grant, base: str
) -> tuple[list[Artifact], x509.Certificate | None]:
    """Store the token and its certificates (unsynced: the commit syncs them)."""
    token = grant.token
    artifacts = [_put(case, token.data, TOKEN_ROLE, f"{base}.tsr", REPLY_MEDIA)]
    embedded = set(token.facts.certificates)
    untrusted = [c for c in grant.chain[1:]]
    if grant.chain and grant.chain[0] not in embedded:
        untrusted.insert(0, grant.chain[0])
    if untrusted:
        artifacts.append(
            _put(case, certificates_pem(untrusted), CHAIN_ROLE, f"{base}.tsa-chain.pem", PEM_MEDIA)
        )
    artifacts.append(
        _put(case, certificates_pem([grant.root]), ROOT_ROLE, f"{base}.tsa-root.pem", PEM_MEDIA)
    )
    if token.repaired:
        artifacts.append(
            _put(case, grant.received, RECEIVED_ROLE, f"{base}.as-received.tsr", REPLY_MEDIA)
        )
    return artifacts, grant.chain[0] if grant.chain else None


def _put(case: Case, data: bytes, role: str, name: str, media_type: str) -> Artifact:
    digest = case.store.put_bytes(data, sync=False)
    return Artifact(role=role, name=name, digest=str(digest), size=len(data), media_type=media_type)


def _draft(
    case: Case, grant: Grant, kind: TokenKind, covers: Covered, base: str
) -> tuple[EntryDraft, Granted]:
    artifacts, leaf = _store_grant(case, grant, base)
    facts = grant.token.facts
    detail = TimestampDetail(
        kind=kind,
        covers=covers,
        tsa=grant.authority.name,
        url=grant.authority.url,
        gen_time=format_utc(facts.gen_time),
        serial=str(facts.serial),
        policy=facts.policy,
        nonce=str(grant.nonce),
        tsa_certificate=subject_text(leaf) if leaf is not None else "",
        root=subject_text(grant.root),
        root_fingerprint=fingerprint(grant.root),
        repaired=grant.token.repaired,
        artifacts=artifacts,
    )
    items = (covers.item,) if covers.item else ()
    summary = Granted(
        seq=0,
        kind=kind,
        items=items,
        tsa=grant.authority.name,
        gen_time=detail.gen_time,
        covered_digest=covers.digest,
        serial=detail.serial,
    )
    return EntryDraft.of(TIMESTAMP_GRANTED, detail, items), summary


def _commit(
    case: Case, signer: Signer, drafts: Sequence[tuple[EntryDraft, Granted]]
) -> list[Granted]:
    if not drafts:
        return []
    committed = case.append(signer, *(d for d, _ in drafts))
    for entry in committed:
        if is_seal(entry):
            token = next(a for a in artifacts_of(entry) if a.role == TOKEN_ROLE)
            write_seal_copy(case.root, entry.seq, case.read_object(token.digest))
    return [replace(g, seq=e.seq) for e, (_, g) in zip(committed, drafts, strict=True)]


def _token_base(view: ItemView) -> str:
    count = view.actions.count(TIMESTAMP_GRANTED)
    return view.id if count == 0 else f"{view.id}-{count + 1}"


def _require_enabled(settings: TsaSettings) -> None:
    if not settings.enabled:
        raise TimestampError(
            "no time-stamping authority is configured",
            hint="add a [[tsa.authorities]] table to your configuration (see docs/timestamps.md)",
        )


def _views(case: Case, item_ids: Sequence[str]) -> list[ItemView]:
    views: dict[str, ItemView] = {}
    for item_id in item_ids:
        view = case.item(item_id)
        views.setdefault(view.id, view)
    return list(views.values())


def _item_tokens(
    case: Case, views: Sequence[ItemView], client: TsaClient
) -> tuple[list[tuple[EntryDraft, Granted]], list[TsaAttempt], list[ItemView]]:
    """Ask for one token per item; returns drafts, failed attempts and items left over."""
    drafts: list[tuple[EntryDraft, Granted]] = []
    attempts: list[TsaAttempt] = []
    left: list[ItemView] = []
    for index, view in enumerate(views):
        artifact = covered_artifact(view)
        if artifact is None:
            left.append(view)
            continue
        grant, failed = client.timestamp(Digest.parse(artifact.digest))
        attempts.extend(failed)
        if grant is None:
            # The authorities are down: the rest stay pending rather than each time out.
            left.extend(views[index:])
            break
        covers = Covered(
            digest=artifact.digest, item=view.id, role=artifact.role, name=artifact.name
        )
        drafts.append(_draft(case, grant, ITEM, covers, _token_base(view)))
    return drafts, attempts, left


def _head_is_seal(case: Case) -> bool:
    case.refresh()
    entries = list(case.entries())
    if not entries:
        return False
    last = entries[-1]
    return is_seal(last)


def _seal_draft(
    case: Case, client: TsaClient, *, strict: bool
) -> tuple[tuple[EntryDraft, Granted] | None, list[TsaAttempt]]:
    case.refresh()
    seq, head = case.state.last_seq, case.state.last_hash
    if head is None:
        raise InvalidInputError("the custody log is empty: there is nothing to seal")
    digest = Digest.parse(head)
    if strict:
        grant: Grant | None = client.require(digest)
        attempts: list[TsaAttempt] = []
    else:
        grant, attempts = client.timestamp(digest)
    if grant is None:
        return None, attempts
    covers = Covered(digest=head, seq=seq)
    return _draft(case, grant, SEAL, covers, f"seal-{seq:06d}"), attempts


def _client(settings: TsaSettings, case: Case, client: TsaClient | None) -> TsaClient:
    return client if client is not None else TsaClient(settings, clock=case.clock)


def _nothing_granted(attempts: Sequence[TsaAttempt]) -> TimestampError:
    return TimestampError(
        "no time-stamping authority gave a token: "
        + "; ".join(f"{a.authority}: {a.error}" for a in attempts),
        hint="check the network and the [tsa] configuration, then try again",
    )


def timestamp_items(
    case: Case,
    signer: Signer,
    item_ids: Sequence[str],
    settings: TsaSettings,
    *,
    client: TsaClient | None = None,
) -> TimestampOutcome:
    """Give each named item its own token (one TSA round trip each).

    An item with neither a ``record`` nor an ``original`` artifact cannot have a token
    of its own; it is covered by a seal instead. Tokens granted before an authority
    stopped answering are kept; if none was granted at all, that is a
    :class:`TimestampError`.
    """
    _require_enabled(settings)
    views = _views(case, item_ids)
    tsa = _client(settings, case, client)
    try:
        drafts, attempts, left = _item_tokens(case, views, tsa)
        unanswerable = [v for v in left if covered_artifact(v) is None]
        if unanswerable and len(unanswerable) == len(left):
            sealed, more = _seal_draft(case, tsa, strict=False)
            attempts.extend(more)
            if sealed is not None:
                drafts.append(sealed)
                left = []
        if not drafts and left:
            raise _nothing_granted(attempts)
        granted = _commit(case, signer, drafts)
    finally:
        if client is None:
            tsa.close()
    return TimestampOutcome(
        granted=granted,
        pending=[v.id for v in left],
        attempts=attempts,
        round_trips=tsa.round_trips,
    )


def seal(
    case: Case, signer: Signer, settings: TsaSettings, *, client: TsaClient | None = None
) -> TimestampOutcome:
    """Timestamp the hash of the log's head entry, anchoring every entry before it.

    Sealing a log whose last entry is already a seal asks nothing (it would add only
    the seal itself). No authority answering is a :class:`TimestampError`.
    """
    _require_enabled(settings)
    if _head_is_seal(case):
        return TimestampOutcome(
            pending=pending_items(case), note="the log is already sealed: nothing new to seal"
        )
    tsa = _client(settings, case, client)
    try:
        sealed, _ = _seal_draft(case, tsa, strict=True)
        granted = _commit(case, signer, [sealed] if sealed else [])
    finally:
        if client is None:
            tsa.close()
    return TimestampOutcome(
        granted=granted, pending=pending_items(case), round_trips=tsa.round_trips
    )


def _by_policy(
    case: Case,
    signer: Signer,
    views: Sequence[ItemView],
    settings: TsaSettings,
    tsa: TsaClient,
) -> tuple[list[Granted], list[TsaAttempt], list[str]]:
    """Item tokens or one seal, as ``item_tokens`` says; returns granted, failures, left."""
    per_item = settings.item_tokens == "always" or (
        settings.item_tokens == "single" and len(views) == 1
    )
    drafts: list[tuple[EntryDraft, Granted]] = []
    attempts: list[TsaAttempt] = []
    left: list[ItemView] = list(views)
    if per_item:
        drafts, attempts, left = _item_tokens(case, views, tsa)
        if left and all(covered_artifact(v) is None for v in left):
            # Items with nothing to token individually: a seal covers them.
            sealed, more = _seal_draft(case, tsa, strict=False)
            attempts.extend(more)
            if sealed is not None:
                drafts.append(sealed)
                left = []
    else:
        sealed, attempts = _seal_draft(case, tsa, strict=False)
        if sealed is not None:
            drafts.append(sealed)
            left = []
    return _commit(case, signer, drafts), attempts, [v.id for v in left]


def timestamp_pending(
    case: Case, signer: Signer, settings: TsaSettings, *, client: TsaClient | None = None
) -> TimestampOutcome:
    """Complete every pending item, by the configured policy (item tokens or one seal).

    No authority answering is a :class:`TimestampError` (the items stay pending).
    """
    _require_enabled(settings)
    pending = pending_items(case)
    if not pending:
        return TimestampOutcome(note="no item is awaiting a timestamp")
    tsa = _client(settings, case, client)
    try:
        granted, attempts, left = _by_policy(case, signer, _views(case, pending), settings, tsa)
    finally:
        if client is None:
            tsa.close()
    if not granted and left:
        raise _nothing_granted(attempts)
    return TimestampOutcome(
        granted=granted,
        pending=pending_items(case),
        attempts=attempts,
        round_trips=tsa.round_trips,
    )


def timestamp_new_items(
    case: Case,
    signer: Signer,
    item_ids: Sequence[str],
    settings: TsaSettings,
    *,
    client: TsaClient | None = None,
) -> TimestampOutcome:
    """Timestamp items just acquired, by the default policy; never fails for want of a TSA.

    One item gets its own token; several (a batch) get one seal at the end. When no
    authority answers, the failed attempts are logged (``timestamp.failed``, naming
    the items) and the items stay pending for :func:`timestamp_pending`. With no
    authority configured nothing is asked and nothing is logged.
    """
    ids = [case.item(i).id for i in item_ids]
    if not ids:
        return TimestampOutcome(note="no item to timestamp")
    if not settings.enabled:
        return TimestampOutcome(
            pending=[i for i in ids if i.startswith(EVIDENCE_PREFIX)],
            note="no time-stamping authority is configured",
        )
    tsa = _client(settings, case, client)
    try:
        granted, attempts, left = _by_policy(case, signer, _views(case, ids), settings, tsa)
    finally:
        if client is None:
            tsa.close()
    outcome = TimestampOutcome(
        granted=granted, pending=left, attempts=attempts, round_trips=tsa.round_trips
    )
    if left:
        entry = case.append(
            signer,
            EntryDraft.of(
                TIMESTAMP_FAILED,
                TimestampFailed(
                    reason="no time-stamping authority answered; the items stay pending",
                    attempts=[FailedAttempt(**a.to_json()) for a in attempts],
                ),
                tuple(left),
            ),
        )[-1]
        outcome.failure_seq = entry.seq
    return outcome


@dataclass(slots=True)
class AddResult:
    """Files imported as items, and how they were timestamped."""

    items: list[ItemView]
    timestamps: TimestampOutcome


def add_files(
    case: Case,
    signer: Signer,
    paths: Sequence[Path],
    settings: TsaSettings,
    *,
    note: str | None = None,
    source: str | None = None,
) -> AddResult:
    """``cybercase add``: import files, then timestamp them by the default policy."""
    views = case.add_files(signer, paths, note=note, source=source)
    outcome = timestamp_new_items(case, signer, [v.id for v in views], settings)
    return AddResult(items=views, timestamps=outcome)
