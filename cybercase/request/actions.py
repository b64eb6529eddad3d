"""The request layer's custody-log vocabulary: its actions and the detail of each.

Five actions tell a request's life (see :mod:`cybercase.request.lifecycle`); each entry
names the request first (``items[0]``), and a response also names the evidence items it
became. The models are exactly what earlier versions wrote by hand: a field left at
``None`` is not written, and the tests compare every model with the dict it replaced.
Writers give every field; each has a default only so that a reader tolerates an entry
that lacks one (the state of a request is read leniently, see ``lifecycle.apply``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cybercase.evidence.details import Detail, action
from cybercase.evidence.models import Artifact
from cybercase.request.models import DeadlinePolicy

LAYER = "request"


class LetterUsed(BaseModel):
    """Which template made a letter, so it can be made again (``Letter.describe``)."""

    template: str
    """The template file (``preservation.html.j2``, ``fr/preservation.html.j2``)."""
    source: str
    """``agency`` or ``built-in``."""
    language: str
    agency_templates: dict[str, str] | None = None
    """The agency's template files in force, name to ``sha256:``; absent when none."""


class RequestCreatedDetail(Detail):
    """``request.created``: what was asked of whom, the record and the letter(s) stored."""

    type: str | None = None
    platform: str | None = None
    addressee: str | None = None
    """The platform's legal entity the letter is addressed to."""
    targets: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    """The evidence items the request cites."""
    letter: LetterUsed | None = None
    artifacts: list[Artifact] = Field(default_factory=list)
    follows: str | None = None
    """The earlier request this one follows."""
    policy: DeadlinePolicy | None = None
    """A preservation's deadlines, fixed at creation."""

    def to_detail(self) -> dict[str, Any]:
        """As written: the policy keeps ``max_extensions: null`` when no limit is known."""
        detail = super().to_detail()
        if self.policy is not None:
            detail["policy"] = self.policy.model_dump(mode="json")
        return detail


class RequestSentDetail(Detail):
    """``request.sent``: how and when it went out; a preservation's expiry from then."""

    platform: str | None = None
    type: str | None = None
    via: str | None = None
    sent_at: str | None = None
    reference: str | None = None
    """The platform's reference or ticket number."""
    note: str | None = None
    expires: str | None = None
    artifacts: list[Artifact] | None = None
    """The proof of sending, when one was kept."""


class ResponseFile(BaseModel):
    """One file a platform sent, as the evidence item it became."""

    item: str
    name: str
    digest: str
    size: int


class ResponseReceivedDetail(Detail):
    """``response.received``: the files a platform sent, each now an evidence item."""

    platform: str | None = None
    type: str | None = None
    files: list[ResponseFile] = Field(default_factory=list)
    reference: str | None = None
    note: str | None = None


class RequestExtendedDetail(Detail):
    """``request.extended``: one more preservation period asked for, and its letter."""

    platform: str | None = None
    type: str | None = None
    number: int | None = None
    days: int | None = None
    previous_expiry: str | None = None
    expires: str | None = None
    letter: LetterUsed | None = None
    artifacts: list[Artifact] = Field(default_factory=list)
    note: str | None = None
    warnings: list[str] | None = None
    """Why the extension may come late (after the notice period), when it may."""


class RequestClosedDetail(Detail):
    """``request.closed``: the outcome; nothing can follow it."""

    platform: str | None = None
    type: str | None = None
    outcome: str | None = None
    note: str | None = None


REQUEST_CREATED = action("request.created", RequestCreatedDetail, LAYER)
REQUEST_SENT = action("request.sent", RequestSentDetail, LAYER)
REQUEST_EXTENDED = action("request.extended", RequestExtendedDetail, LAYER)
RESPONSE_RECEIVED = action("response.received", ResponseReceivedDetail, LAYER)
REQUEST_CLOSED = action("request.closed", RequestClosedDetail, LAYER)
REQUEST_ACTIONS = (
    REQUEST_CREATED,
    REQUEST_SENT,
    REQUEST_EXTENDED,
    RESPONSE_RECEIVED,
    REQUEST_CLOSED,
)
"""Every action a request's entries carry, in the order of a request's life."""
