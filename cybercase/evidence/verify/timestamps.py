"""Verification of the trusted timestamps of a case (``cybercase verify``).

For every ``timestamp.granted`` entry it checks, and reports each failure at its entry:

- the token file is present, unchanged and readable;
- what it covers: an item token's imprint is the hash of the item's record or original
  *as the log recorded it*, and that file still has that hash; a seal's imprint is the
  hash of the entry it names, recomputed through the whole chain from entry 1, so that
  any entry altered, removed or reordered before a seal is reported as breaking that
  seal's chain (the seal is named);
- the CMS signature and the certificate chain to a trusted root, as of the token's
  genTime (a token stays valid after its TSA certificate expires), the nonce that was
  sent and the policy;
- the gap between the time the log gives and the TSA's time (a warning over
  ``gap_warning_seconds``), for item tokens, seals, and items first covered by a seal.

Trust comes from the configuration (each authority's roots and ``trust_roots``). A
token that verifies only up to the root recorded in the case when it was granted is a
warning that names that root's fingerprint, never a silent pass. Evidence items that
no token covers yet are one warning.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography import x509
from pydantic import ValidationError

from cybercase.clock import format_utc, parse_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import CybercaseError, InvalidInputError, TimestampError
from cybercase.evidence.actions import TIMESTAMP_GRANTED, TimestampDetail
from cybercase.evidence.log.entry import CustodyEntry
from cybercase.evidence.log.state import CaseState
from cybercase.evidence.models import Artifact
from cybercase.evidence.store import ObjectStore
from cybercase.evidence.timestamps.records import (
    CHAIN_ROLE,
    ITEM,
    ROOT_ROLE,
    SEAL,
    TOKEN_ROLE,
    creation_artifacts,
    pending_from,
)
from cybercase.evidence.timestamps.tokens import (
    ParsedToken,
    TokenProblem,
    fingerprint,
    parse_response,
    pem_certificates,
    subject_text,
    verify_token,
)
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.custody import LogCheck
from cybercase.evidence.verify.findings import CheckResult, Finding
from cybercase.evidence.verify.objects import ObjectSource, StoreSource

NAME = "timestamps"
"""The line of a verification that these checks make."""


def format_gap(seconds: float) -> str:
    """A duration for people: ``45 s``, ``12 min 3 s``, ``2 d 3 h 4 min``."""
    total = int(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


@dataclass(slots=True)
class _Checker:
    """Verification of every token of one case (or package)."""

    log: LogCheck
    source: ObjectSource
    settings: TsaSettings
    roots: list[x509.Certificate]
    findings: list[Finding] = field(default_factory=list)
    left_out: Collection[str] = ()
    """Items whose files an exported package does not hold (``--items``)."""
    state: CaseState = field(default_factory=CaseState)
    untrusted_roots: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    item_tokens: int = 0
    seals: int = 0
    verified: int = 0
    covered_items: set[str] = field(default_factory=set)
    _hash_cache: dict[str, str | None] = field(default_factory=dict)
    _pem_cache: dict[str, list[x509.Certificate]] = field(default_factory=dict)

    def add(
        self, severity: Literal["error", "warning", "info"], code: str, where: str, msg: str
    ) -> None:
        self.findings.append(Finding(severity, code, where, msg))

    def run(self) -> CheckResult:
        for entry in self.log.entries:
            self.state.apply(entry)
        timestamps = [e for e in self.log.entries if e.action == TIMESTAMP_GRANTED]
        left_out = set(self.left_out)
        skipped = {e.seq for e in timestamps if e.items and set(e.items) <= left_out}
        if skipped:
            timestamps = [e for e in timestamps if e.seq not in skipped]
            self.add(
                "info",
                "timestamp.excluded",
                "trusted timestamps",
                f"{len(skipped)} token(s) of items left out of this package are not checked",
            )
        seal_entries: list[tuple[CustodyEntry, TimestampDetail, datetime]] = []
        for entry in timestamps:
            checked = self.check(entry)
            if checked is not None and checked[0].kind == SEAL:
                seal_entries.append((entry, checked[0], checked[1]))
        self.seal_gaps(seal_entries)
        self.report_untrusted_roots()
        pending = [i for i in pending_from(self.state, self.log.entries) if i not in left_out]
        if pending:
            shown = ", ".join(pending[:10]) + (" …" if len(pending) > 10 else "")
            self.add(
                "warning",
                "timestamp.pending",
                "trusted timestamps",
                f"{len(pending)} evidence item(s) have no trusted timestamp yet: {shown}; "
                "run 'cybercase timestamp --pending' when a TSA can be reached",
            )
        summary = (
            f"{self.item_tokens} item token(s), {self.seals} seal(s), "
            f"{self.verified} verified; {len(pending)} item(s) awaiting a timestamp"
        )
        if not timestamps and not pending:
            summary = "no trusted timestamp in this case"
            return CheckResult.judge(NAME, self.findings, summary, summary, checked=False)
        return CheckResult.judge(NAME, self.findings, summary, summary)

    def object_path(self, digest_text: str) -> Path | None:
        try:
            return self.source.locate(Digest.parse(digest_text))
        except ValueError:
            return None

    def read(self, artifact: Artifact) -> bytes | None:
        path = self.object_path(artifact.digest)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def current_hash(self, digest_text: str) -> str | None:
        """The SHA-256 of the stored object now (``None`` when missing or unreadable)."""
        if digest_text not in self._hash_cache:
            path = self.object_path(digest_text)
            try:
                self._hash_cache[digest_text] = None if path is None else str(hash_file(path))
            except OSError:
                self._hash_cache[digest_text] = None
        return self._hash_cache[digest_text]

    def pem(self, artifact: Artifact | None) -> list[x509.Certificate]:
        if artifact is None:
            return []
        if artifact.digest not in self._pem_cache:
            data = self.read(artifact)
            try:
                certs = pem_certificates(data, artifact.name) if data else []
            except InvalidInputError:
                certs = []
            self._pem_cache[artifact.digest] = certs
        return self._pem_cache[artifact.digest]

    def check(self, entry: CustodyEntry) -> tuple[TimestampDetail, datetime] | None:
        where = f"seq {entry.seq} timestamp.granted"
        try:
            detail = TimestampDetail.model_validate(entry.detail)
        except ValidationError as exc:
            self.add(
                "error",
                "timestamp.malformed",
                where,
                f"the entry's detail is not a timestamp record ({exc.errors()[0]['msg']})",
            )
            return None
        label = (
            f"{detail.covers.item} {detail.covers.name}"
            if detail.kind == ITEM
            else f"seal of entries 1-{detail.covers.seq}"
        )
        where = f"seq {entry.seq} ({label}, {detail.tsa} {detail.gen_time})"
        if detail.kind == ITEM:
            self.item_tokens += 1
        else:
            self.seals += 1
        by_role = {a.role: a for a in detail.artifacts}
        token_artifact = by_role.get(TOKEN_ROLE)
        data = self.read(token_artifact) if token_artifact else None
        if data is None:
            self.add("error", "timestamp.missing", where, "the token file is missing")
            return None
        if token_artifact and str(Digest.of_bytes(data)) != token_artifact.digest:
            self.add("error", "timestamp.altered", where, "the token file was changed")
            return None
        try:
            token = parse_response(data, repair=False)
        except TimestampError as exc:
            self.add("error", "timestamp.unreadable", where, exc.message)
            return None
        ok = True
        if detail.kind == ITEM:
            ok = self.check_item_coverage(where, detail)
        else:
            ok = self.check_seal_coverage(where, entry, detail, token)
        problems = self.check_signature(where, entry, detail, token, by_role)
        for problem in problems:
            self.add("error", problem.code, where, problem.message)
        if problems or not ok:
            return None
        self.verified += 1
        gen_time = token.facts.gen_time
        if detail.kind == ITEM and detail.covers.item:
            self.covered_items.add(detail.covers.item)
            view = self.state.items.get(detail.covers.item)
            if view is not None:
                self.gap(where, f"{view.id} was recorded", view.created_at, gen_time)
        return detail, gen_time

    def gap(self, where: str, what: str, at_text: str, gen_time: datetime) -> None:
        try:
            at = parse_utc(at_text)
        except ValueError:
            return
        seconds = (gen_time - at).total_seconds()
        limit = self.settings.gap_warning_seconds
        if abs(seconds) <= limit:
            return
        if seconds > 0:
            message = (
                f"{what} at {at_text}; the TSA's time is {format_gap(seconds)} later "
                f"({format_utc(gen_time)}): the trusted timestamp proves existence only "
                "from then"
            )
        else:
            message = (
                f"{what} at {at_text}, {format_gap(seconds)} after the TSA's time "
                f"({format_utc(gen_time)}): the recording computer's clock was ahead"
            )
        self.add("warning", "timestamp.gap", where, message)

    def check_item_coverage(self, where: str, detail: TimestampDetail) -> bool:
        covers = detail.covers
        view = self.state.items.get(covers.item or "")
        if view is None:
            self.add("error", "timestamp.coverage", where, f"no item {covers.item} in the log")
            return False
        artifact = next(
            (
                a
                for a in creation_artifacts(view)
                if a.role == covers.role and a.name == covers.name
            ),
            None,
        )
        if artifact is None or artifact.digest != covers.digest:
            self.add(
                "error",
                "timestamp.coverage",
                where,
                f"the token covers {covers.digest}, which is not the {covers.role} "
                f"{covers.name} of {view.id} as the log records it",
            )
            return False
        now = self.current_hash(covers.digest)
        if now is None:
            self.add(
                "error",
                "timestamp.data-missing",
                where,
                f"{covers.name} of {view.id}, which the token covers, is missing",
            )
            return False
        if now != covers.digest:
            self.add(
                "error",
                "timestamp.data-altered",
                where,
                f"{covers.name} of {view.id} changed after it was timestamped: it hashes "
                f"to {now}, the token covers {covers.digest}",
            )
            return False
        return True

    def check_seal_coverage(
        self, where: str, entry: CustodyEntry, detail: TimestampDetail, token: ParsedToken
    ) -> bool:
        sealed = detail.covers.seq
        if sealed is None or sealed >= entry.seq:
            self.add(
                "error", "timestamp.coverage", where, "the seal does not name an earlier entry"
            )
            return False
        by_seq = {e.seq: e for e in self.log.entries}
        prev: str | None = None
        name = f"the seal at seq {entry.seq} ({detail.tsa}, {detail.gen_time})"
        for seq in range(1, sealed + 1):
            current = by_seq.get(seq)
            if current is None:
                self.add(
                    "error",
                    "timestamp.seal-broken",
                    where,
                    f"{name} anchors entries 1-{sealed}, but entry {seq} is missing or "
                    "unreadable: the sealed chain is broken",
                )
                return False
            computed = current.computed_hash()
            if computed != current.hash or current.prev != prev:
                what = (
                    "was altered after it was sealed (its content no longer matches its hash)"
                    if computed != current.hash
                    else "no longer links to the entry before it (entries were removed, "
                    "inserted or reordered)"
                )
                self.add(
                    "error",
                    "timestamp.seal-broken",
                    where,
                    f"{name} anchors entries 1-{sealed}, but entry {seq} {what}: "
                    "the sealed chain is broken",
                )
                return False
            prev = computed
        if prev != detail.covers.digest or token.facts.imprint_hex != (prev or "")[7:]:
            self.add(
                "error",
                "timestamp.seal-broken",
                where,
                f"{name} covers a different log: entries 1-{sealed} were rewritten after "
                "they were sealed",
            )
            return False
        at = by_seq[sealed].at
        self.gap(where, f"entry {sealed} was logged", at, token.facts.gen_time)
        return True

    def check_signature(
        self,
        where: str,
        entry: CustodyEntry,
        detail: TimestampDetail,
        token: ParsedToken,
        by_role: dict[str, Artifact],
    ) -> list[TokenProblem]:
        chain = self.pem(by_role.get(CHAIN_ROLE))
        policy = detail.policy
        authority = self.settings.authority(detail.tsa)
        problems: list[TokenProblem] = []
        if authority is not None and authority.policy and authority.policy != detail.policy:
            problems.append(
                TokenProblem(
                    "token.policy",
                    f"the token's policy {detail.policy} is not the one configured for "
                    f"{detail.tsa} ({authority.policy})",
                )
            )
        try:
            nonce: int | None = int(detail.nonce)
        except ValueError:
            nonce = None
            problems.append(TokenProblem("token.nonce", "the recorded nonce is not a number"))
        found, root, _chain = verify_token(
            token,
            digest_hex=detail.covers.digest[7:],
            roots=self.roots,
            intermediates=chain,
            nonce=nonce,
            policy=policy,
        )
        if root is not None or any(p.code != "token.chain" for p in found):
            return problems + found
        # Not anchored in a configured root: is it at least sound under the root the
        # case recorded when it was granted? Then say so, rather than call it forged.
        recorded = self.pem(by_role.get(ROOT_ROLE))
        again, root, _chain = verify_token(
            token,
            digest_hex=detail.covers.digest[7:],
            roots=recorded,
            intermediates=chain,
            nonce=nonce,
            policy=policy,
        )
        if root is None:
            return problems + found
        key = fingerprint(root)
        _subject, seqs = self.untrusted_roots.setdefault(key, (subject_text(root), []))
        seqs.append(entry.seq)
        return problems + again

    def report_untrusted_roots(self) -> None:
        for key, (subject, seqs) in self.untrusted_roots.items():
            shown = ", ".join(map(str, seqs[:10])) + (" …" if len(seqs) > 10 else "")
            self.add(
                "warning",
                "timestamp.untrusted-root",
                "trusted timestamps",
                f"{len(seqs)} token(s) (entries {shown}) verify only up to the root recorded "
                f"in the case, {subject} ({key}), which is not among your trusted roots: "
                "check that fingerprint with the authority, then add the root to [tsa]",
            )

    def seal_gaps(self, seals: Sequence[tuple[CustodyEntry, TimestampDetail, datetime]]) -> None:
        """For items first covered by a seal, the gap between their entry and its TSA time."""
        done = 0
        limit = self.settings.gap_warning_seconds
        for entry, detail, gen_time in sorted(seals, key=lambda s: s[1].covers.seq or 0):
            upto = detail.covers.seq or 0
            late: list[tuple[float, str]] = []
            for item_id in self.state.evidence_ids():
                view = self.state.items[item_id]
                if not done < view.created_seq <= upto or item_id in self.covered_items:
                    continue
                if item_id in self.left_out:
                    continue
                try:
                    seconds = (gen_time - parse_utc(view.created_at)).total_seconds()
                except ValueError:
                    continue
                if seconds > limit:
                    late.append((seconds, item_id))
            done = max(done, upto)
            if late:
                worst, worst_id = max(late)
                self.add(
                    "warning",
                    "timestamp.gap",
                    f"seq {entry.seq} (seal of entries 1-{upto}, {detail.tsa} {detail.gen_time})",
                    f"{len(late)} item(s) were recorded more than "
                    f"{format_gap(limit)} before this seal's TSA time, up to "
                    f"{format_gap(worst)} ({worst_id}): the seal proves their existence only "
                    "from then",
                )


def timestamp_check(
    settings: TsaSettings | None = None,
    source: ObjectSource | None = None,
    *,
    left_out: Collection[str] = (),
) -> Callable[[Path, LogCheck], CheckResult]:
    """A ``verify_case`` extra check with given trust settings and object source.

    ``left_out`` names items an exported package was made without: their own tokens
    (and their covered files) are not in it, so those tokens are skipped with a remark.
    Seals are always checked.
    """

    def check(root: Path, log_check: LogCheck) -> CheckResult:
        findings: list[Finding] = []
        active = settings
        if active is None:
            try:
                active = TsaSettings.load()
            except CybercaseError as exc:
                findings.append(
                    Finding("warning", "timestamp.config", "trusted timestamps", exc.one_line())
                )
                active = TsaSettings()
        try:
            roots = active.trusted_roots()
        except CybercaseError as exc:
            findings.append(
                Finding("warning", "timestamp.config", "trusted timestamps", exc.one_line())
            )
            roots = []
        checker = _Checker(
            log=log_check,
            source=source or StoreSource(ObjectStore(root / "objects")),
            settings=active,
            roots=roots,
            findings=findings,
            left_out=left_out,
        )
        return checker.run()

    return check


def check_timestamps(root: Path, log_check: LogCheck) -> CheckResult:
    """Verify every token of a case against the trust roots of the configuration in effect."""
    return timestamp_check()(root, log_check)
