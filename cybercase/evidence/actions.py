"""The custody actions the evidence layer writes, and the model of each one's ``detail``.

Each constant is registered with :func:`~cybercase.evidence.details.action`, so the docs
can publish its schema and a test can prove that what is written today still reads.
Writers build the model and log it with :meth:`EntryDraft.of`; readers go through
:meth:`CustodyEntry.detail_as`. A model writes exactly the JSON the hand-built dicts of
earlier versions wrote: where they wrote ``null`` (a custodian without an email), the
model keeps it (``to_detail`` is overridden there), everywhere else ``None`` is left out.

``item.acquired`` (collect) and ``case.exported`` (report) are written by other layers,
which declare them in their own ``actions`` modules.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cybercase.evidence.details import Detail, action
from cybercase.evidence.models import Artifact, DigestText

TokenKind = Literal["item", "seal"]


class CustodianKey(Detail):
    """A key registered as a custodian's, as ``case.created`` and ``custodian.added`` hold it."""

    name: str
    email: str | None
    """Written as ``null`` when the key has no email (so never left out)."""
    fingerprint: str
    """SHA-256 of the raw public key, lowercase hex."""
    public_key: str
    """The 32 raw Ed25519 public bytes, base64."""


class CaseCreated(Detail):
    """``case.created``: the first entry, which roots the case in its creator's key."""

    case: dict[str, Any]
    """``case.json`` as data (every field, ``null`` ones included)."""
    case_json: DigestText
    """The hash of ``case.json``'s bytes, so a later edit of the file shows."""
    custodian: CustodianKey
    custody_head: Literal["signed"] | None = None
    """Present since the log's head file is signed: a missing head is then an error."""

    def to_detail(self) -> dict[str, Any]:
        """As written: ``null`` fields of the case and the custodian are kept."""
        detail = self.model_dump(mode="json")
        if detail["custody_head"] is None:
            del detail["custody_head"]
        return detail


class CustodianAdded(Detail):
    """``custodian.added``: another investigator's key may now sign entries."""

    custodian: CustodianKey

    def to_detail(self) -> dict[str, Any]:
        """As written: a custodian without an email keeps ``"email": null``."""
        return self.model_dump(mode="json")


class ItemImported(Detail):
    """``item.imported``: a file taken into the case as an evidence item."""

    kind: Literal["file"] = "file"
    original_name: str
    """The file's name, readable (bytes that are not UTF-8 shown as U+FFFD)."""
    original_name_bytes: str | None = None
    """Only for a name that is not UTF-8: every byte, percent-escaped."""
    original_path: str
    original_path_bytes: str | None = None
    original_mtime: str
    """The file's modification time as the file system gave it, UTC."""
    artifacts: list[Artifact] = Field(min_length=1)
    """The ``original``."""
    source: str | None = None
    """Where the file came from, as the investigator said."""
    note: str | None = None
    request: str | None = None
    """The request whose response delivered the file (``R0001``)."""


class NoteAdded(Detail):
    """``note.added``: an investigator's note, on the case or on one item."""

    text: str


class LogRecovered(Detail):
    """``log.recovered``: an interrupted write's torn last line, set aside and cut."""

    reason: str
    after_seq: int
    """The last committed entry: the torn bytes followed it."""
    artifacts: list[Artifact]
    """The torn bytes, kept as an object."""


class RemovedFile(Detail):
    """One file an interrupted process left and that was deleted."""

    name: str
    bytes: int


class LeftoversRemoved(Detail):
    """``leftovers.removed``: what an interrupted process left, and was deleted."""

    reason: str
    where: str
    count: int
    bytes: int
    removed: list[RemovedFile]
    """At most :data:`MAX_LISTED` of them."""
    not_listed: int | None = None
    """How many more were removed than are listed."""


MAX_LISTED = 200
"""A leftovers entry names at most this many files (and counts the rest)."""


class CaseVerified(Detail):
    """``case.verified``: a custodian's verification run and its outcome."""

    result: Literal["passed", "failed"]
    errors: int
    warnings: int
    stats: dict[str, int]
    problems: list[str]
    """The first errors, one line each."""


class CopiedFile(Detail):
    """One artifact copied out of the case, and where to."""

    name: str
    role: str
    digest: DigestText
    size: int
    to: str
    """The absolute path of the copy."""


class ArtifactCopied(Detail):
    """``artifact.copied``: artifacts of one item handed out, checked against their hashes."""

    copies: list[CopiedFile]
    host: str
    """The machine the copies were written on."""
    purpose: str | None = None


class Covered(Detail):
    """What a token's imprint is the SHA-256 of."""

    digest: DigestText
    """``sha256:<hex>``: the imprint the token carries."""
    item: str | None = None
    """Item tokens: the item whose artifact is covered."""
    role: str | None = None
    """Item tokens: the covered artifact's role (``record`` or ``original``)."""
    name: str | None = None
    """Item tokens: the covered artifact's name."""
    seq: int | None = None
    """Seals: the custody entry whose hash is covered (the log's head when sealed)."""


class TimestampDetail(Detail):
    """The ``detail`` of a ``timestamp.granted`` entry."""

    kind: TokenKind
    """``item`` (one item's record or file) or ``seal`` (the log up to an entry)."""
    covers: Covered
    """The digest the token covers and where it comes from."""
    tsa: str
    """The configured name of the authority that granted the token."""
    url: str
    """Where the authority was asked."""
    gen_time: str
    """The authority's time in the token (genTime), UTC."""
    serial: str
    """The token's serial number (decimal: it may exceed what JSON numbers hold)."""
    policy: str
    """The TSA policy OID the token was issued under."""
    nonce: str
    """The random nonce sent with the request and echoed in the token (decimal)."""
    tsa_certificate: str
    """Subject of the TSA certificate that signed the token."""
    root: str
    """Subject of the root the token chained to when it was granted."""
    root_fingerprint: DigestText
    """SHA-256 of that root certificate."""
    repaired: bool = False
    """True when the response had a non-DER certificate SET (kept as ``tsa-response``)."""
    artifacts: list[Artifact] = Field(min_length=1)
    """The ``token``, the ``tsa-chain`` and ``tsa-root`` PEM files (and ``tsa-response``)."""


class FailedAttempt(Detail):
    """One authority that did not give a usable token, and why."""

    authority: str
    url: str
    at: str
    error: str


class TimestampFailed(Detail):
    """``timestamp.failed``: no authority answered; the items stay pending."""

    reason: str
    attempts: list[FailedAttempt]


CASE_CREATED = action("case.created", CaseCreated, "evidence")
CUSTODIAN_ADDED = action("custodian.added", CustodianAdded, "evidence")
ITEM_IMPORTED = action("item.imported", ItemImported, "evidence")
NOTE_ADDED = action("note.added", NoteAdded, "evidence")
LOG_RECOVERED = action("log.recovered", LogRecovered, "evidence")
LEFTOVERS_REMOVED = action("leftovers.removed", LeftoversRemoved, "evidence")
CASE_VERIFIED = action("case.verified", CaseVerified, "evidence")
ARTIFACT_COPIED = action("artifact.copied", ArtifactCopied, "evidence")
TIMESTAMP_GRANTED = action("timestamp.granted", TimestampDetail, "evidence")
TIMESTAMP_FAILED = action("timestamp.failed", TimestampFailed, "evidence")
