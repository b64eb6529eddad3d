"""The agency layer's custody-log vocabulary: ``case.replicated``.

One entry per replication run says where the case went and what was sent (the
:class:`~cybercase.agency.replicate.ReplicationResult` of the run, without the entry's own
seq). The model writes exactly the dict earlier versions built, ``null`` values included
(a retention left to the bucket's default rule has no mode or date).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cybercase.evidence.details import Detail, action


class ObjectsSent(BaseModel):
    """How many objects the case holds, and how many (and how many bytes) were sent."""

    total: int
    sent: int
    bytes_sent: int


class RetentionUsed(BaseModel):
    """The Object Lock retention the objects were sent with (``None``: the bucket's rule)."""

    mode: str | None
    until: str | None


class CaseReplicatedDetail(Detail):
    """``case.replicated``: one replication run to ``s3://BUCKET/PREFIX``."""

    to: str
    endpoint: str
    objects: ObjectsSent
    keys_sent: int
    segments_sent: int
    custody_through: int
    """The last log entry the replica holds before this one."""
    retention: RetentionUsed
    legal_hold: bool
    problems: list[str]
    """Local objects not sent because they no longer match their names."""

    def to_detail(self) -> dict[str, Any]:
        """Every field, ``null`` ones too, as the hand-built detail had them."""
        return self.model_dump(mode="json")


CASE_REPLICATED = action("case.replicated", CaseReplicatedDetail, "agency")
