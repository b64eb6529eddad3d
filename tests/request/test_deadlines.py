"""The due list on a real case, on both sides of its boundary, with an injected clock."""

from __future__ import annotations

from datetime import timedelta

from cybercase.clock import FixedClock
from cybercase.evidence import Case, Signer
from cybercase.request import (
    RequestConfig,
    close_request,
    create_request,
    due_requests,
    extend_request,
    list_requests,
    mark_sent,
)
from tests.fixtures.requests import preservation_spec


def test_due_list_boundary_on_a_case(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(days=30), config=request_config, pdf=None)
    sent = mark_sent(rcase, signer, "R0001", via="email").status
    assert sent.sent_at is not None
    extension_deadline = sent.sent_at + timedelta(days=30 - 7)
    assert sent.extension_deadline == extension_deadline

    boundary = extension_deadline - timedelta(days=14)
    inside = due_requests(rcase, 14, clock=FixedClock(boundary))
    assert [(r.status.id, r.deadline.kind if r.deadline else None) for r in inside] == [
        ("R0001", "extension")
    ]
    assert inside[0].days_left == 14
    outside = FixedClock(boundary - timedelta(microseconds=1))
    assert due_requests(rcase, 14, clock=outside) == []
    assert [r.status.id for r in list_requests(rcase, clock=outside)] == ["R0001"]

    # After an extension the deadlines move 90 days (the default extension) later.
    extend_request(rcase, signer, "R0001", config=request_config, pdf=None)
    assert due_requests(rcase, 14, clock=FixedClock(boundary)) == []
    later = boundary + timedelta(days=90)
    assert [r.status.id for r in due_requests(rcase, 14, clock=FixedClock(later))] == ["R0001"]


def test_expired_open_preservations_stay_due_until_closed(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    sent = mark_sent(rcase, signer, "R0001", via="email").status
    assert sent.expires_at is not None
    much_later = FixedClock(sent.expires_at + timedelta(days=365))
    (row,) = due_requests(rcase, 0, clock=much_later)
    assert row.deadline is not None and row.deadline.kind == "expired"
    assert row.days_left is not None and row.days_left < -364
    close_request(rcase, signer, "R0001", outcome="lapsed")
    assert due_requests(rcase, 0, clock=much_later) == []


def test_unsent_and_non_preservation_requests_are_never_due(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    create_request(
        rcase,
        signer,
        preservation_spec(type="disclosure", legal_basis="order"),
        config=request_config,
        pdf=None,
    )
    mark_sent(rcase, signer, "R0002", via="portal")
    far = FixedClock(rcase.clock.now() + timedelta(days=3650))
    assert due_requests(rcase, 100000, clock=far) == []
