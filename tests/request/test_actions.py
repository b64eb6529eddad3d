"""The request layer's detail models write exactly the dicts the hand-built code wrote."""

from __future__ import annotations

from typing import Any

import pytest

from cybercase.evidence import Artifact, Case, Signer
from cybercase.evidence.details import registered_actions
from cybercase.request import RequestConfig, close_request, create_request, mark_sent
from cybercase.request.actions import (
    REQUEST_ACTIONS,
    LetterUsed,
    RequestClosedDetail,
    RequestCreatedDetail,
    RequestExtendedDetail,
    RequestSentDetail,
    ResponseFile,
    ResponseReceivedDetail,
)
from cybercase.request.models import DeadlinePolicy
from tests.fixtures.requests import preservation_spec

ARTIFACT = Artifact(
    role="request", name="request.json", digest="sha256:" + "a" * 64, size=12,
    media_type="application/json",
)  # fmt: skip
LETTER = {"template": "preservation.html.j2", "source": "built-in", "language": "en"}


def _old_created(follows: str | None, policy: DeadlinePolicy | None) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "type": "preservation",
        "platform": "example",
        "addressee": "Example Ltd",
        "targets": ["https://market.example/l/1"],
        "evidence": ["E0001"],
        "letter": dict(LETTER, agency_templates={"base.html.j2": "sha256:" + "b" * 64}),
        "artifacts": [ARTIFACT.model_dump()],
    }
    if follows:
        detail["follows"] = follows
    if policy is not None:
        detail["policy"] = policy.model_dump()
    return detail


@pytest.mark.parametrize("follows", [None, "R0001"])
@pytest.mark.parametrize("max_extensions", [None, 2])
def test_created(follows: str | None, max_extensions: int | None) -> None:
    policy = DeadlinePolicy(
        preservation_days=90, extension_days=90, extension_notice_days=7,
        max_extensions=max_extensions,
    )  # fmt: skip
    model = RequestCreatedDetail(
        type="preservation",
        platform="example",
        addressee="Example Ltd",
        targets=["https://market.example/l/1"],
        evidence=["E0001"],
        letter=LetterUsed(**LETTER, agency_templates={"base.html.j2": "sha256:" + "b" * 64}),
        artifacts=[ARTIFACT],
        follows=follows,
        policy=policy,
    )
    assert model.to_detail() == _old_created(follows, policy)
    assert "max_extensions" in model.to_detail()["policy"]  # a null limit stays written


@pytest.mark.parametrize("given", [False, True])
def test_sent(given: bool) -> None:
    old: dict[str, Any] = {
        "platform": "example", "type": "preservation", "via": "portal",
        "sent_at": "2026-03-01T09:00:00.000000Z",
    }  # fmt: skip
    if given:
        old |= {"reference": "LE-1", "note": "n", "expires": "2026-05-30T09:00:00.000000Z"}
        old["artifacts"] = [ARTIFACT.model_dump()]
    model = RequestSentDetail(
        platform="example",
        type="preservation",
        via="portal",
        sent_at="2026-03-01T09:00:00.000000Z",
        reference="LE-1" if given else None,
        note="n" if given else None,
        expires="2026-05-30T09:00:00.000000Z" if given else None,
        artifacts=[ARTIFACT] if given else None,
    )
    assert model.to_detail() == old


def test_response_extended_closed() -> None:
    files = [{"item": "E0002", "name": "a.csv", "digest": "sha256:" + "c" * 64, "size": 3}]
    response = ResponseReceivedDetail(
        platform="example", type="disclosure", files=[ResponseFile(**files[0])], reference="X"
    )
    assert response.to_detail() == {
        "platform": "example", "type": "disclosure", "files": files, "reference": "X",
    }  # fmt: skip
    extended = RequestExtendedDetail(
        platform="example", type="preservation", number=1, days=90,
        previous_expiry="2026-05-30T09:00:00.000000Z", expires="2026-08-28T09:00:00.000000Z",
        letter=LetterUsed(**LETTER), artifacts=[ARTIFACT], warnings=["late"],
    )  # fmt: skip
    assert extended.to_detail() == {
        "platform": "example", "type": "preservation", "number": 1, "days": 90,
        "previous_expiry": "2026-05-30T09:00:00.000000Z",
        "expires": "2026-08-28T09:00:00.000000Z", "letter": LETTER,
        "artifacts": [ARTIFACT.model_dump()], "warnings": ["late"],
    }  # fmt: skip
    closed = RequestClosedDetail(platform="example", type="takedown", outcome="fulfilled")
    assert closed.to_detail() == {"platform": "example", "type": "takedown", "outcome": "fulfilled"}


def test_every_request_entry_written_today_reads_back(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    mark_sent(rcase, signer, "R0001", via="portal", reference="LE-1")
    close_request(rcase, signer, "R0001", outcome="fulfilled")
    models = {a.name: a.model for a in registered_actions()}
    assert set(REQUEST_ACTIONS) <= set(models)
    read = [e for e in rcase.entries() if e.action in REQUEST_ACTIONS]
    assert [e.action for e in read] == ["request.created", "request.sent", "request.closed"]
    for entry in read:
        assert entry.detail_as(models[entry.action]).to_detail() == entry.detail
