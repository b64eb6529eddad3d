"""Steps that are not allowed: one clear line, and nothing changes (byte for byte)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from cybercase.clock import FixedClock
from cybercase.errors import CybercaseError, InvalidTransitionError, NotFoundError
from cybercase.evidence import Case, Signer
from cybercase.request import (
    RequestConfig,
    close_request,
    create_request,
    extend_request,
    mark_sent,
    record_response,
    request_details,
)
from tests.conftest import CliResult
from tests.fixtures.requests import preservation_spec


@dataclass(frozen=True)
class Snapshot:
    log: bytes
    head: bytes
    objects: tuple[str, ...]
    temp: tuple[str, ...]


def snapshot(case: Case) -> Snapshot:
    return Snapshot(
        case.log_path.read_bytes(),
        case.head_path.read_bytes(),
        tuple(p.name for p in case.store.iter_objects()),
        tuple(p.name for p in case.store.leftover_temp_files()),
    )


@pytest.fixture
def returned(tmp_path: Path) -> Path:
    path = tmp_path / "returned.csv"
    path.write_text("id,ip\n1,203.0.113.9\n", encoding="utf-8")
    return path


@pytest.fixture
def prepared(rcase: Case, signer: Signer, request_config: RequestConfig) -> Iterator[Case]:
    """R0001: a preservation, not sent. R0002: a disclosure, sent. R0003: closed."""
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    create_request(
        rcase,
        signer,
        preservation_spec(type="disclosure", legal_basis="Court order 12/2026"),
        config=request_config,
        pdf=None,
    )
    mark_sent(rcase, signer, "R0002", via="portal")
    create_request(rcase, signer, preservation_spec(), config=request_config, pdf=None)
    close_request(rcase, signer, "R0003", outcome="withdrawn")
    yield rcase


def _refused(
    case: Case, action: Callable[[], object], error: type[CybercaseError], words: str
) -> None:
    before = snapshot(case)
    with pytest.raises(error) as caught:
        action()
    message = caught.value.one_line()
    assert "\n" not in message
    assert words in message
    assert snapshot(case) == before
    # A fresh reader derives the same state: nothing was half-written.
    assert Case.open(case.root).state.last_seq == case.state.last_seq


def test_responding_before_sending(prepared: Case, signer: Signer, returned: Path) -> None:
    _refused(
        prepared,
        lambda: record_response(prepared, signer, "R0001", [returned]),
        InvalidTransitionError,
        "R0001 has not been sent yet",
    )


def test_extending_a_disclosure_request(prepared: Case, signer: Signer) -> None:
    _refused(
        prepared,
        lambda: extend_request(prepared, signer, "R0002", pdf=None),
        InvalidTransitionError,
        "only a preservation request can be extended",
    )


def test_extending_before_sending(prepared: Case, signer: Signer) -> None:
    _refused(
        prepared,
        lambda: extend_request(prepared, signer, "R0001", pdf=None),
        InvalidTransitionError,
        "has not been sent yet",
    )


@pytest.mark.parametrize("step", ["sent", "respond", "extend", "close", "show"])
def test_unknown_request_id(prepared: Case, signer: Signer, returned: Path, step: str) -> None:
    actions: dict[str, Callable[[], object]] = {
        "sent": lambda: mark_sent(prepared, signer, "R0042", via="email"),
        "respond": lambda: record_response(prepared, signer, "R0042", [returned]),
        "extend": lambda: extend_request(prepared, signer, "R0042", pdf=None),
        "close": lambda: close_request(prepared, signer, "R0042", outcome="fulfilled"),
        "show": lambda: request_details(prepared, "R0042"),
    }
    _refused(prepared, actions[step], NotFoundError, "no request R0042 in case WL-2026-014")


def test_an_item_id_is_not_a_request(prepared: Case, signer: Signer, returned: Path) -> None:
    prepared.add_files(signer, [returned])
    _refused(
        prepared,
        lambda: close_request(prepared, signer, "E0001", outcome="fulfilled"),
        NotFoundError,
        "E0001 is an evidence item, not a request",
    )


@pytest.mark.parametrize("step", ["sent", "respond", "extend", "close"])
def test_anything_on_a_closed_request(
    prepared: Case, signer: Signer, returned: Path, step: str
) -> None:
    actions: dict[str, Callable[[], object]] = {
        "sent": lambda: mark_sent(prepared, signer, "R0003", via="email"),
        "respond": lambda: record_response(prepared, signer, "R0003", [returned]),
        "extend": lambda: extend_request(prepared, signer, "R0003", pdf=None),
        "close": lambda: close_request(prepared, signer, "R0003", outcome="fulfilled"),
    }
    _refused(prepared, actions[step], InvalidTransitionError, "R0003 was closed")


def test_sending_twice(prepared: Case, signer: Signer) -> None:
    _refused(
        prepared,
        lambda: mark_sent(prepared, signer, "R0002", via="email"),
        InvalidTransitionError,
        "R0002 was already sent",
    )


def test_too_many_extensions(prepared: Case, signer: Signer) -> None:
    import tomllib

    from tests.fixtures.requests import CONFIG_TOML

    raw = tomllib.loads(CONFIG_TOML)
    raw["platforms"] = {"example": {"max_extensions": 1}}
    config = RequestConfig.from_config(raw)
    create_request(prepared, signer, preservation_spec(), config=config, pdf=None)
    mark_sent(prepared, signer, "R0004", via="portal")
    extend_request(prepared, signer, "R0004", config=config, pdf=None)
    _refused(
        prepared,
        lambda: extend_request(prepared, signer, "R0004", config=config, pdf=None),
        InvalidTransitionError,
        "R0004 has had the 1 extension(s) example allows",
    )


def test_extending_after_expiry(
    prepared: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(prepared, signer, preservation_spec(), config=request_config, pdf=None)
    sent = mark_sent(prepared, signer, "R0004", via="portal")
    assert sent.status.expires_at is not None
    late = FixedClock(sent.status.expires_at + timedelta(microseconds=1))
    _refused(
        prepared,
        lambda: extend_request(prepared, signer, "R0004", pdf=None, clock=late),
        InvalidTransitionError,
        "expired on",
    )


def test_late_extension_is_recorded_with_a_warning(
    prepared: Case, signer: Signer, request_config: RequestConfig
) -> None:
    create_request(prepared, signer, preservation_spec(), config=request_config, pdf=None)
    sent = mark_sent(prepared, signer, "R0004", via="portal")
    assert sent.status.expires_at is not None
    late = FixedClock(sent.status.expires_at - timedelta(days=2))
    result = extend_request(prepared, signer, "R0004", pdf=None, clock=late)
    assert "the extension deadline" in result.messages[0]
    assert result.entry.detail["warnings"] == result.messages[:1]


def test_invalid_values_change_nothing(prepared: Case, signer: Signer, returned: Path) -> None:
    _refused(
        prepared,
        lambda: mark_sent(prepared, signer, "R0001", via="pigeon"),
        CybercaseError,
        "unknown channel 'pigeon'",
    )
    _refused(
        prepared,
        lambda: close_request(prepared, signer, "R0001", outcome="great"),
        CybercaseError,
        "unknown outcome 'great'",
    )
    future = prepared.clock.now() + timedelta(days=1)
    _refused(
        prepared,
        lambda: mark_sent(prepared, signer, "R0001", via="email", at=future),
        InvalidTransitionError,
        "is in the future",
    )
    _refused(
        prepared,
        lambda: record_response(
            prepared, signer, "R0002", [returned], expected=["sha256:" + "0" * 64]
        ),
        CybercaseError,
        "does not match the SHA-256 the platform gave",
    )


def test_cli_refusals_are_one_line_and_change_nothing(
    prepared: Case, cli: Callable[..., CliResult], returned: Path
) -> None:
    cases = [
        ("request", "respond", "R0001", returned),
        ("request", "extend", "R0002", "--no-pdf"),
        ("request", "sent", "R0099", "--via", "email"),
        ("request", "close", "R0003", "--outcome", "fulfilled"),
        ("request", "show", "R0099"),
    ]
    for args in cases:
        before = snapshot(prepared)
        result = cli(*args, "--case", prepared.root)
        assert result.code == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
        assert result.stdout == ""
        assert snapshot(prepared) == before
    json_result = cli("request", "respond", "R0001", returned, "--case", prepared.root, "--json")
    assert json_result.code == 2
    error = json_result.json()["error"]  # type: ignore[index]
    assert error["type"] == "InvalidTransitionError"
