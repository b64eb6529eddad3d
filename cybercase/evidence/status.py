"""A one-screen summary of a case, with the problems that can be seen cheaply.

``status`` is meant to be run often, so it reads the log and a few small files but
re-hashes nothing; ``verify`` is the full check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cybercase.digest import Digest
from cybercase.errors import CaseCorruptError
from cybercase.evidence.actions import CASE_VERIFIED, CaseVerified
from cybercase.evidence.case import CASE_JSON, Case
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry


@dataclass(slots=True)
class StatusReport:
    """What ``cybercase status`` shows."""

    case: dict[str, Any]
    root: str
    counts: dict[str, int]
    last_entry: dict[str, Any] | None
    last_verified: dict[str, str] | None
    """The last ``case.verified`` entry: its time (``at``) and ``result``."""
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "case": self.case,
            "root": self.root,
            "counts": self.counts,
            "last_entry": self.last_entry,
            "last_verified": self.last_verified,
            "problems": self.problems,
        }


def case_status(case: Case) -> StatusReport:
    """Summarise a case and list what is visibly wrong (without re-hashing)."""
    state = case.state
    problems: list[str] = []
    if state.damaged_lines:
        problems.append(
            f"custody log line(s) {', '.join(map(str, state.damaged_lines[:10]))} are damaged: "
            "run 'cybercase verify'"
        )
    head = logfile.read_head(case.head_path)
    lost = head is not None and head.seq > state.last_seq
    if lost and state.torn_bytes:
        assert head is not None
        problems.append(
            f"the custody log's last line is damaged: it held entry {head.seq}, which was "
            "committed; nothing more can be added: run 'cybercase verify', then restore "
            "custody.jsonl from a copy"
        )
    elif lost:
        assert head is not None
        problems.append(
            f"entries {state.last_seq + 1}-{head.seq} are missing from the end of the custody "
            "log: run 'cybercase verify', then restore custody.jsonl from a copy"
        )
    elif state.torn_bytes:
        problems.append(
            f"the custody log ends with {state.torn_bytes} bytes of an interrupted write "
            "(never committed); they are set aside at the next change"
        )
    try:
        recorded = state.case_json_digest
        if recorded and str(Digest.of_bytes((case.root / CASE_JSON).read_bytes())) != recorded:
            problems.append("case.json changed since the case was created: run 'cybercase verify'")
    except OSError:
        problems.append("case.json cannot be read")
    last_entry = None
    last_verified: dict[str, str] | None = None
    entries = list(case.entries())
    if entries:
        last = entries[-1]
        last_entry = {
            "seq": last.seq,
            "at": last.at,
            "action": last.action,
            "actor": last.actor_name,
            "items": list(last.items),
        }
        for entry in reversed(entries):
            if entry.action == CASE_VERIFIED:
                last_verified = {"at": entry.at, "result": _verified_result(entry)}
                break
    counts = {
        "evidence_items": len(state.evidence_ids()),
        "requests": len(state.request_ids()),
        "custody_entries": state.last_seq,
        "custodians": len(state.keys),
    }
    from cybercase.evidence.timestamps.records import timestamp_counts

    counts.update(
        {name.replace(" ", "_"): n for name, n in timestamp_counts(state, entries).items()}
    )
    return StatusReport(
        case=case.meta.model_dump(),
        root=str(case.root),
        counts=counts,
        last_entry=last_entry,
        last_verified=last_verified,
        problems=problems,
    )


def _verified_result(entry: CustodyEntry) -> str:
    """A ``case.verified`` entry's result; ``?`` when it does not read (status never fails)."""
    try:
        return entry.detail_as(CaseVerified).result
    except CaseCorruptError:
        return "?"
