"""``case.replicated`` is written by its model exactly as the hand-built dict was."""

from __future__ import annotations

from cybercase.agency.actions import CaseReplicatedDetail
from cybercase.agency.replicate import ReplicationResult


def _old(result: ReplicationResult) -> dict[str, object]:
    detail = result.to_json()
    del detail["entry_seq"]
    return detail


def test_a_bucket_default_retention_keeps_its_nulls() -> None:
    result = ReplicationResult(location="s3://b/p", endpoint="http://127.0.0.1:9000")
    model = CaseReplicatedDetail.model_validate(_old(result))
    assert model.to_detail() == _old(result)
    assert model.to_detail()["retention"] == {"mode": None, "until": None}


def test_a_full_run() -> None:
    result = ReplicationResult(
        location="s3://b/p",
        endpoint="http://127.0.0.1:9000",
        objects_total=3,
        objects_sent=2,
        bytes_sent=10,
        keys_sent=1,
        segments_sent=1,
        custody_through=7,
        retain_until="2027-01-01T00:00:00.000000Z",
        mode="COMPLIANCE",
        legal_hold=True,
        problems=["objects/sha256/ab/… changed"],
    )
    assert CaseReplicatedDetail.model_validate(_old(result)).to_detail() == _old(result)
