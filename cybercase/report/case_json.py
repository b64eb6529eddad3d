"""The ``--json`` shapes of the case commands, as models a script (or a test) can build.

``cybercase init``, ``add``, ``show`` (an item, or one of its files handed out) and
``status`` print these objects; they are built here, from library results, so the CLI
only chooses between them and a table. Each ``to_json`` is the object as printed: the
field names are part of the scripting interface (docs/cli.md), so they do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cybercase.evidence import Artifact, Case, CaseMeta, CustodyEntry, ItemView
from cybercase.evidence.status import StatusReport
from cybercase.evidence.timestamps.grant import AddResult
from cybercase.investigate.records import ItemAnalysis, dump_json
from cybercase.monitor.alerts import Alert
from cybercase.request.query import RequestSummary


@dataclass(frozen=True, slots=True)
class CreatedCase:
    """``cybercase init --json``: the new case's metadata and where it lives."""

    meta: CaseMeta
    folder: Path

    @classmethod
    def of(cls, case: Case) -> CreatedCase:
        """From the case just created."""
        return cls(case.meta, case.root)

    def to_json(self) -> dict[str, Any]:
        """``{"case": {...}, "folder": "..."}``."""
        return {"case": self.meta.model_dump(), "folder": str(self.folder)}


@dataclass(frozen=True, slots=True)
class AddedItem:
    """One row of ``cybercase add --json``: an imported file and its timestamp state."""

    id: str
    name: str
    digest: str
    size: int
    media_type: str
    acquired: str
    timestamp: str
    """``granted``, or ``pending`` when no authority answered yet."""

    @classmethod
    def rows(cls, result: AddResult) -> list[AddedItem]:
        """Every item ``add_files`` imported, in order."""
        pending = result.timestamps.pending
        return [
            cls(
                id=v.id,
                name=v.artifacts[0].name,
                digest=v.artifacts[0].digest,
                size=v.artifacts[0].size,
                media_type=v.artifacts[0].media_type,
                acquired=v.created_at,
                timestamp="pending" if v.id in pending else "granted",
            )
            for v in result.items
        ]

    def to_json(self) -> dict[str, Any]:
        """The row as printed."""
        return {
            "id": self.id,
            "name": self.name,
            "digest": self.digest,
            "size": self.size,
            "media_type": self.media_type,
            "acquired": self.acquired,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True, slots=True)
class ItemShown:
    """``cybercase show ITEM --json``: the item, its files, its entries, its analysis."""

    view: ItemView
    entries: Sequence[CustodyEntry]
    analysis: ItemAnalysis | None = None

    def to_json(self) -> dict[str, Any]:
        """``analysis`` is ``null`` when the item was never analysed."""
        view = self.view
        return {
            "id": view.id,
            "kind": view.kind,
            "created": {
                "seq": view.created_seq,
                "action": view.created_action,
                "at": view.created_at,
                "actor": view.actor_name,
            },
            "detail": view.detail,
            "artifacts": [a.model_dump() for a in view.artifacts],
            "entries": [e.to_json() for e in self.entries],
            "analysis": dump_json(self.analysis) if self.analysis is not None else None,
        }


@dataclass(frozen=True, slots=True)
class HandedOut:
    """``cybercase show ITEM --file NAME --out PATH --json``: the logged copy."""

    item: str
    artifact: Artifact
    to: Path
    entry: CustodyEntry

    def to_json(self) -> dict[str, Any]:
        """What was copied, where to, and the entry that logs it."""
        return {
            "item": self.item.upper(),
            "file": self.artifact.name,
            "digest": self.artifact.digest,
            "size": self.artifact.size,
            "to": str(self.to),
            "entry": self.entry.seq,
        }


@dataclass(frozen=True, slots=True)
class CaseOverview:
    """``cybercase status --json``: the case's state, requests due and watch alerts."""

    report: StatusReport
    due: Sequence[RequestSummary]
    alerts: Sequence[Alert]

    def to_json(self) -> dict[str, Any]:
        """The status report with ``due_requests`` and ``watch_alerts`` added."""
        return {
            **self.report.to_json(),
            "due_requests": [row.to_json() for row in self.due],
            "watch_alerts": [a.to_json() for a in self.alerts],
        }
