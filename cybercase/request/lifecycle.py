"""A request's state, derived from its custody entries, and the steps allowed from it.

Nothing here touches the disk. :func:`derive` folds the entries that name a request
into a :class:`RequestStatus`; the ``check_*`` functions say whether a step is allowed
now (raising :class:`~cybercase.errors.InvalidTransitionError` with one line when it is
not); :func:`next_deadline` says which preservation deadline comes next. Because the
state is recomputed from the log every time, it cannot drift from what was signed.

::

    request.created ──► request.sent ──► response.received (0..n)
         │                  │ └──────► request.extended (preservation only, before expiry,
         │                  │                             at most max_extensions)
         └──────────────────┴──────────► request.closed (final: nothing after it)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from cybercase.clock import format_utc, parse_utc
from cybercase.errors import CaseCorruptError, InvalidTransitionError
from cybercase.evidence.details import Detail
from cybercase.evidence.log.entry import CustodyEntry

# The action names live with their detail models; they are re-exported here for the
# readers (the report, the CLI) that import them with the state they describe.
from cybercase.request.actions import (
    REQUEST_ACTIONS as REQUEST_ACTIONS,
)
from cybercase.request.actions import (
    REQUEST_CLOSED as REQUEST_CLOSED,
)
from cybercase.request.actions import (
    REQUEST_CREATED as REQUEST_CREATED,
)
from cybercase.request.actions import (
    REQUEST_EXTENDED as REQUEST_EXTENDED,
)
from cybercase.request.actions import (
    REQUEST_SENT as REQUEST_SENT,
)
from cybercase.request.actions import (
    RESPONSE_RECEIVED as RESPONSE_RECEIVED,
)
from cybercase.request.actions import (
    RequestClosedDetail,
    RequestCreatedDetail,
    RequestExtendedDetail,
    RequestSentDetail,
    ResponseReceivedDetail,
)
from cybercase.request.models import DeadlinePolicy

VIAS = ("portal", "email", "post")
OUTCOMES = (
    "fulfilled",
    "partly-fulfilled",
    "refused",
    "no-data",
    "lapsed",
    "withdrawn",
    "superseded",
)

Phase = Literal["draft", "sent", "closed"]
DeadlineKind = Literal["extension", "expiry", "expired"]


@dataclass(frozen=True, slots=True)
class Extension:
    """One extension that was asked for."""

    number: int
    at: datetime
    days: int


@dataclass(frozen=True, slots=True)
class Response:
    """One response the platform sent, taken in as evidence items."""

    at: datetime
    items: tuple[str, ...]
    reference: str | None


@dataclass(frozen=True, slots=True)
class Deadline:
    """The next date that matters for a preservation request."""

    kind: DeadlineKind
    """``extension`` (ask for one by then), ``expiry`` (data released then), ``expired``."""
    at: datetime


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """A request as its entries describe it now."""

    id: str
    type: str
    platform: str
    created_at: datetime
    record_digest: str | None
    policy: DeadlinePolicy | None
    follows: str | None = None
    targets: tuple[str, ...] = ()
    phase: Phase = "draft"
    sent_at: datetime | None = None
    via: str | None = None
    reference: str | None = None
    extensions: tuple[Extension, ...] = ()
    responses: tuple[Response, ...] = ()
    closed_at: datetime | None = None
    outcome: str | None = None
    entry_seqs: tuple[int, ...] = ()

    @property
    def expires_at(self) -> datetime | None:
        """When the platform may release preserved data (sent + period + extensions)."""
        if self.type != "preservation" or self.policy is None or self.sent_at is None:
            return None
        days = self.policy.preservation_days + sum(e.days for e in self.extensions)
        return self.sent_at + timedelta(days=days)

    @property
    def extensions_left(self) -> int | None:
        """How many more extensions may be asked for (``None``: no known limit)."""
        if self.policy is None or self.policy.max_extensions is None:
            return None
        return max(0, self.policy.max_extensions - len(self.extensions))

    @property
    def extension_deadline(self) -> datetime | None:
        """The last day to ask for an extension, while one may still be asked for."""
        expires = self.expires_at
        if expires is None or self.policy is None or self.extensions_left == 0:
            return None
        return expires - timedelta(days=self.policy.extension_notice_days)

    def to_json(self) -> dict[str, Any]:
        """For ``--json``: times as UTC text."""

        def t(value: datetime | None) -> str | None:
            return format_utc(value) if value is not None else None

        return {
            "id": self.id,
            "type": self.type,
            "platform": self.platform,
            "state": self.phase,
            "created": t(self.created_at),
            "sent": t(self.sent_at),
            "via": self.via,
            "reference": self.reference,
            "follows": self.follows,
            "targets": list(self.targets),
            "expires": t(self.expires_at),
            "extension_deadline": t(self.extension_deadline),
            "extensions": [
                {"number": e.number, "at": t(e.at), "days": e.days} for e in self.extensions
            ],
            "extensions_left": self.extensions_left,
            "responses": [
                {"at": t(r.at), "items": list(r.items), "reference": r.reference}
                for r in self.responses
            ],
            "closed": t(self.closed_at),
            "outcome": self.outcome,
            "policy": self.policy.model_dump() if self.policy else None,
            "record": self.record_digest,
        }


D = TypeVar("D", bound=Detail)


def _read(entry: CustodyEntry, model: type[D]) -> D | None:
    """The entry's detail as ``model``, or ``None`` when it does not fit (read tolerantly)."""
    try:
        return entry.detail_as(model)
    except CaseCorruptError:
        return None


def _time(value: str | None, fallback: str) -> datetime:
    try:
        return parse_utc(value or fallback)
    except ValueError:
        return parse_utc(fallback)


def apply(status: RequestStatus | None, request_id: str, entry: CustodyEntry) -> RequestStatus:
    """The state after one more entry naming the request (pure; unknown actions are kept out).

    The entries are signed and were checked when they were written; this reads them as
    they are and does not re-judge them (``verify`` checks integrity): a detail that does
    not fit its model leaves the fields it would have given unknown.
    """
    seqs = (*status.entry_seqs, entry.seq) if status else (entry.seq,)
    if status is None:
        created = _read(entry, RequestCreatedDetail)
        if created is None:
            return RequestStatus(
                id=request_id,
                type="unknown",
                platform="unknown",
                created_at=parse_utc(entry.at),
                record_digest=None,
                policy=None,
                entry_seqs=seqs,
            )
        return RequestStatus(
            id=request_id,
            type=created.type or "unknown",
            platform=created.platform or "unknown",
            created_at=parse_utc(entry.at),
            record_digest=next((a.digest for a in created.artifacts if a.role == "request"), None),
            policy=created.policy,
            follows=created.follows or None,
            targets=tuple(created.targets),
            entry_seqs=seqs,
        )
    if entry.action == REQUEST_SENT:
        sent = _read(entry, RequestSentDetail)
        return dataclasses.replace(
            status,
            phase="sent",
            sent_at=_time(sent.sent_at if sent else None, entry.at),
            via=(sent.via or None) if sent else None,
            reference=(sent.reference or None) if sent else None,
            entry_seqs=seqs,
        )
    if entry.action == REQUEST_EXTENDED:
        extended = _read(entry, RequestExtendedDetail)
        extension = Extension(
            number=len(status.extensions) + 1,
            at=parse_utc(entry.at),
            days=(extended.days or 0) if extended else 0,
        )
        return dataclasses.replace(
            status, extensions=(*status.extensions, extension), entry_seqs=seqs
        )
    if entry.action == RESPONSE_RECEIVED:
        received = _read(entry, ResponseReceivedDetail)
        response = Response(
            at=parse_utc(entry.at),
            items=tuple(i for i in entry.items if i != request_id),
            reference=(received.reference or None) if received else None,
        )
        return dataclasses.replace(status, responses=(*status.responses, response), entry_seqs=seqs)
    if entry.action == REQUEST_CLOSED:
        closed = _read(entry, RequestClosedDetail)
        return dataclasses.replace(
            status,
            phase="closed",
            closed_at=parse_utc(entry.at),
            outcome=(closed.outcome or None) if closed else None,
            entry_seqs=seqs,
        )
    return dataclasses.replace(status, entry_seqs=seqs)


def derive(request_id: str, entries: Iterable[CustodyEntry]) -> RequestStatus | None:
    """Fold the entries naming a request (in log order); ``None`` if none creates it."""
    status: RequestStatus | None = None
    for entry in entries:
        if request_id not in entry.items:
            continue
        if status is None and entry.action != REQUEST_CREATED:
            continue
        status = apply(status, request_id, entry)
    return status


def derive_all(entries: Iterable[CustodyEntry]) -> dict[str, RequestStatus]:
    """Every request of a log, in one pass."""
    found: dict[str, RequestStatus] = {}
    for entry in entries:
        for item in entry.items:
            if not item.startswith("R"):
                continue
            current = found.get(item)
            if current is None and entry.action != REQUEST_CREATED:
                continue
            found[item] = apply(current, item, entry)
    return found


# -- the allowed steps ---------------------------------------------------------------


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _not_closed(status: RequestStatus) -> None:
    if status.phase == "closed":
        when = f" on {_day(status.closed_at)}" if status.closed_at else ""
        raise InvalidTransitionError(
            f"{status.id} was closed{when} ({status.outcome or 'no outcome'}); "
            "nothing more can be recorded on it",
            hint="create a new request if more is needed",
        )


def _sent(status: RequestStatus, step: str) -> None:
    if status.phase == "draft":
        raise InvalidTransitionError(
            f"{status.id} has not been sent yet, so it cannot {step}",
            hint=f"record the sending first: cybercase request sent {status.id} --via portal",
        )


def check_send(status: RequestStatus, at: datetime, now: datetime) -> None:
    """A request is sent once, not before it was created and not in the future."""
    _not_closed(status)
    if status.phase != "draft":
        sent = f" on {_day(status.sent_at)}" if status.sent_at else ""
        raise InvalidTransitionError(f"{status.id} was already sent{sent}")
    if at > now:
        raise InvalidTransitionError(f"the sending time {format_utc(at)} is in the future")
    if at < status.created_at:
        raise InvalidTransitionError(
            f"the sending time {format_utc(at)} is before {status.id} was created "
            f"({format_utc(status.created_at)})"
        )


def check_respond(status: RequestStatus) -> None:
    """A response can only answer a request that was sent and is still open."""
    _not_closed(status)
    _sent(status, "have a response")


def check_extend(status: RequestStatus, now: datetime) -> list[str]:
    """An extension: preservation only, sent, open, before expiry, within the limit.

    Returns warnings (asked after the extension deadline but before expiry).
    """
    _not_closed(status)
    if status.type != "preservation":
        raise InvalidTransitionError(
            f"{status.id} is a {status.type} request; only a preservation request can be extended"
        )
    _sent(status, "be extended")
    expires = status.expires_at
    if expires is not None and now >= expires:
        raise InvalidTransitionError(
            f"the preservation of {status.id} expired on {_day(expires)}; it cannot be extended",
            hint="send a new preservation request at once",
        )
    if status.extensions_left == 0:
        allowed = status.policy.max_extensions if status.policy else 0
        raise InvalidTransitionError(
            f"{status.id} has had the {allowed} extension(s) {status.platform} allows",
            hint="serve the legal process for disclosure before the preservation expires",
        )
    warnings: list[str] = []
    deadline = status.extension_deadline
    if deadline is not None and now > deadline and expires is not None:
        warnings.append(
            f"the extension deadline ({_day(deadline)}) has passed; the preservation ends "
            f"{_day(expires)} — make sure {status.platform} receives this in time"
        )
    return warnings


def check_close(status: RequestStatus) -> None:
    """Any open request can be closed, once."""
    _not_closed(status)


def next_deadline(status: RequestStatus, now: datetime) -> Deadline | None:
    """The preservation date to act on next; ``None`` for other requests, drafts and closed.

    Before the extension deadline it is that deadline; after it, the expiry; once the
    expiry has passed, the expiry again, marked ``expired`` (an open, lapsed preservation
    stays on the list until it is closed).
    """
    if status.phase != "sent":
        return None
    expires = status.expires_at
    if expires is None:
        return None
    if now >= expires:
        return Deadline("expired", expires)
    ext = status.extension_deadline
    if ext is not None and now <= ext:
        return Deadline("extension", ext)
    return Deadline("expiry", expires)


def is_due(status: RequestStatus, now: datetime, within: timedelta) -> Deadline | None:
    """The next deadline if it falls on or before ``now + within`` (boundary included)."""
    deadline = next_deadline(status, now)
    if deadline is None or deadline.at > now + within:
        return None
    return deadline
