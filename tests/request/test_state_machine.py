"""The pure state machine, checked against a small independent model (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.clock import format_utc
from cybercase.errors import InvalidTransitionError
from cybercase.evidence import CustodyEntry, EntryDraft, Signer
from cybercase.evidence.log.entry import build_entry
from cybercase.request.lifecycle import (
    REQUEST_CLOSED,
    REQUEST_CREATED,
    REQUEST_EXTENDED,
    REQUEST_SENT,
    RESPONSE_RECEIVED,
    RequestStatus,
    apply,
    check_close,
    check_extend,
    check_respond,
    check_send,
    derive,
    derive_all,
    is_due,
    next_deadline,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SIGNER = Signer.ephemeral("Test Officer")


def entry(
    seq: int, at: datetime, action: str, items: tuple[str, ...], **detail: Any
) -> CustodyEntry:
    return build_entry(
        seq=seq,
        at=format_utc(at),
        actor_name=SIGNER.name,
        actor_key=SIGNER.fingerprint,
        draft=EntryDraft(action, items, detail),
        prev=None,
        sign=SIGNER.sign,
    )


def created(kind: str, max_extensions: int | None, seq: int = 1) -> CustodyEntry:
    policy = {
        "preservation_days": 90,
        "extension_days": 60,
        "extension_notice_days": 7,
        "max_extensions": max_extensions,
    }
    detail: dict[str, Any] = {"type": kind, "platform": "example", "targets": ["x"]}
    if kind == "preservation":
        detail["policy"] = policy
    return entry(seq, T0, REQUEST_CREATED, ("R0001",), **detail)


steps = st.lists(
    st.tuples(
        st.sampled_from(["send", "respond", "extend", "close"]),
        st.integers(min_value=0, max_value=400),  # days after the previous step
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["preservation", "disclosure", "emergency", "takedown"]),
    max_extensions=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    plan=steps,
)
def test_state_machine_matches_the_model(
    kind: str, max_extensions: int | None, plan: list[tuple[str, int]]
) -> None:
    log = [created(kind, max_extensions)]
    status = apply(None, "R0001", log[0])
    # The independent model.
    phase, sent_at, extensions, expiry = "draft", None, 0, None
    now = T0
    for step, days in plan:
        now = now + timedelta(days=days, seconds=1)
        allowed = phase != "closed"
        if step == "send":
            allowed = allowed and phase == "draft"
        elif step == "respond":
            allowed = allowed and phase == "sent"
        elif step == "extend":
            allowed = (
                allowed
                and kind == "preservation"
                and phase == "sent"
                and expiry is not None
                and now < expiry
                and (max_extensions is None or extensions < max_extensions)
            )
        try:
            if step == "send":
                check_send(status, now, now)
                new = entry(len(log) + 1, now, REQUEST_SENT, ("R0001",), via="email")
            elif step == "respond":
                check_respond(status)
                new = entry(len(log) + 1, now, RESPONSE_RECEIVED, ("R0001", "E0001"))
            elif step == "extend":
                check_extend(status, now)
                new = entry(len(log) + 1, now, REQUEST_EXTENDED, ("R0001",), days=60)
            else:
                check_close(status)
                new = entry(len(log) + 1, now, REQUEST_CLOSED, ("R0001",), outcome="fulfilled")
        except InvalidTransitionError:
            assert not allowed, (step, status)
            continue
        assert allowed, (step, status)
        log.append(new)
        status = apply(status, "R0001", new)
        if step == "send":
            phase, sent_at = "sent", now
            expiry = now + timedelta(days=90) if kind == "preservation" else None
        elif step == "extend":
            extensions += 1
            assert expiry is not None
            expiry = expiry + timedelta(days=60)
        elif step == "close":
            phase = "closed"
        assert status.phase == phase
        assert status.sent_at == sent_at
        assert len(status.extensions) == extensions
        assert status.expires_at == expiry
        if max_extensions is not None:
            assert len(status.extensions) <= max_extensions
    # Folding the whole log again gives the same state.
    assert derive("R0001", log) == status
    assert derive_all(log)["R0001"] == status


def _sent_status(max_extensions: int | None) -> RequestStatus:
    first = created("preservation", max_extensions)
    status = apply(None, "R0001", first)
    return apply(status, "R0001", entry(2, T0, REQUEST_SENT, ("R0001",), via="portal"))


def test_due_boundary_for_the_extension_deadline() -> None:
    status = _sent_status(None)
    deadline = T0 + timedelta(days=90 - 7)
    assert status.extension_deadline == deadline
    window = timedelta(days=14)
    on_boundary = deadline - window
    found = is_due(status, on_boundary, window)
    assert found is not None and found.kind == "extension" and found.at == deadline
    assert is_due(status, on_boundary - timedelta(microseconds=1), window) is None


def test_due_boundary_for_the_expiry_when_no_extension_is_left() -> None:
    status = _sent_status(0)
    assert status.extension_deadline is None
    expiry = T0 + timedelta(days=90)
    window = timedelta(days=14)
    found = is_due(status, expiry - window, window)
    assert found is not None and found.kind == "expiry" and found.at == expiry
    assert is_due(status, expiry - window - timedelta(microseconds=1), window) is None


def test_after_the_extension_deadline_the_expiry_is_next_then_expired() -> None:
    status = _sent_status(None)
    expiry = T0 + timedelta(days=90)
    after = status.extension_deadline + timedelta(microseconds=1)  # type: ignore[operator]
    nxt = next_deadline(status, after)
    assert nxt is not None and nxt.kind == "expiry" and nxt.at == expiry
    gone = next_deadline(status, expiry)
    assert gone is not None and gone.kind == "expired"
    # An expired, open preservation is always due: it lapsed and nobody closed it.
    assert is_due(status, expiry + timedelta(days=400), timedelta(0)) is not None


@pytest.mark.parametrize("kind", ["disclosure", "emergency", "takedown"])
def test_other_requests_have_no_deadline(kind: str) -> None:
    status = apply(None, "R0001", created(kind, None))
    status = apply(status, "R0001", entry(2, T0, REQUEST_SENT, ("R0001",), via="portal"))
    assert status.expires_at is None
    assert next_deadline(status, T0) is None


def test_entries_before_creation_or_for_other_requests_are_ignored() -> None:
    stray = entry(1, T0, REQUEST_SENT, ("R0001",), via="email")
    other = entry(2, T0, REQUEST_CREATED, ("R0002",), type="disclosure", platform="p")
    first = created("preservation", None, seq=3)
    status = derive("R0001", [stray, other, first])
    assert status is not None and status.phase == "draft"
    assert set(derive_all([stray, other, first])) == {"R0001", "R0002"}
