"""The capture view: failures, and records this version cannot read, from real captures."""

from __future__ import annotations

import socket
from collections.abc import Callable

from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from cybercase.report.layout import PlannedFile, plan_package
from cybercase.report.sections.capture_model import CaptureView, decimal
from cybercase.report.sections.capture_view import capture_view


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def view_of(
    case: Case, item_id: str, reader: Callable[[PlannedFile], bytes] | None = None
) -> CaptureView:
    entries = list(case.entries())
    plan = plan_package(case.state, entries, {item_id})

    def read(planned: PlannedFile) -> bytes:
        return case.read_object(planned.digest)

    naming = [e for e in entries if item_id in e.items]
    return capture_view(plan.items[item_id], reader or read, naming)


def test_a_refused_connection_is_a_failure_with_its_error(case: Case, signer: Signer) -> None:
    url = f"http://127.0.0.1:{closed_port()}/listing/9"
    result = capture_url(case, signer, url, CaptureSettings(retries=0, images=False))
    assert not result.ok
    view = view_of(case, result.item_id)
    assert view.outcome.kind == "failed"
    assert "refused" in view.outcome.headline
    assert view.outcome.short == "not captured: the server refused the connection"
    [hop] = view.hops
    assert hop.error and hop.error.startswith("connection-refused")


def test_a_record_that_does_not_validate_falls_back_to_the_log(case: Case, signer: Signer) -> None:
    url = f"http://127.0.0.1:{closed_port()}/listing/10"
    result = capture_url(case, signer, url, CaptureSettings(retries=0, images=False))
    view = view_of(case, result.item_id, lambda planned: b'{"requested_url": 7}')
    assert view.record is None
    assert view.problem is not None and "not a capture record" in view.problem
    assert view.requested_url == url


def test_decimal_degrees_are_shown_without_trailing_zeros() -> None:
    assert decimal(-1.2925) == "-1.2925"
    assert decimal(36.0) == "36.0"
    assert decimal(0.0) == "0.0"
