"""What a request step did, for the caller and for ``--json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cybercase.evidence import Artifact, CustodyEntry
from cybercase.request.lifecycle import RequestStatus


@dataclass(slots=True)
class StepResult:
    """What a request step did."""

    request_id: str
    entry: CustodyEntry
    status: RequestStatus
    artifacts: list[Artifact] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    """New evidence items (for a response)."""
    messages: list[str] = field(default_factory=list)
    """One-line remarks for the user (PDF skipped, late extension...)."""

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "request": self.request_id,
            "entry": {"seq": self.entry.seq, "action": self.entry.action, "at": self.entry.at},
            "status": self.status.to_json(),
            "artifacts": [a.model_dump() for a in self.artifacts],
            "items": self.items,
            "messages": self.messages,
        }
