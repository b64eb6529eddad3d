"""``cybercase request``: the command group as a contract (exit codes, JSON, messages)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cybercase.clock import SteppingClock, parse_utc
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.request import RequestConfig, create_request, mark_sent
from cybercase.request.draft import RequestSpec, complete, prepare
from cybercase.request.fields import FieldSpec
from cybercase.request.platforms import load_directory
from tests.conftest import CliResult
from tests.fixtures.requests import preservation_spec

Cli = Callable[..., CliResult]

NEW = (
    "request", "new", "--type", "preservation", "--platform", "example",
    "--target", "https://market.example/listing/991", "--target", "@ivory_dealer_77",
    "--data", "subscriber,traffic", "--from", "2026-01-01", "--to", "2026-02-28",
    "--legal-provision", "WCMA 2013 s. 92", "--summary", "Pangolin scales for sale.",
    "--relation", "The account posted the listing.", "--necessity", "Listings vanish.",
    "--follow-up", "mla", "--addressee", "Example Marketplace Ltd",
    "--channel", "le@market.example",
)  # fmt: skip


def _json(result: CliResult) -> Any:
    assert result.code == 0, result.stderr
    return result.json()


def test_lifecycle_through_the_cli(case: Case, cli: Cli, config_file: Path, tmp_path: Path) -> None:
    c = ("--case", case.root)
    created = _json(cli(*NEW, *c, "--no-pdf", "--json", "--save", tmp_path / "out"))
    assert created["request"] == "R0001" and created["status"]["state"] == "draft"
    assert {Path(p).name for p in created["saved"]} == {"R0001_request.json", "R0001_letter.html"}
    assert "NWCU-0457" in (tmp_path / "out" / "R0001_letter.html").read_text(encoding="utf-8")

    sent = cli("request", "sent", "R0001", "--via", "portal", "--reference", "LE-1", *c)
    assert sent.code == 0 and "recorded as sent via portal" in sent.stderr
    assert "ask for an extension by" in sent.stderr

    returned = tmp_path / "subscriber.csv"
    returned.write_bytes(b"name,email\nJ. Doe,jd@mail.example\n")
    digest = hashlib.sha256(returned.read_bytes()).hexdigest()
    response = _json(cli("request", "respond", "R0001", returned, "--sha256", digest, "--json", *c))
    assert response["items"] == ["E0001"]
    assert response["artifacts"][0]["digest"] == f"sha256:{digest}"

    extended = cli("request", "extend", "R0001", "--no-pdf", *c)
    assert extended.code == 0 and "Extension 1 of R0001" in extended.stderr

    closed = cli("request", "close", "R0001", "--outcome", "fulfilled", *c)
    assert closed.code == 0 and "R0001 closed (fulfilled)" in closed.stderr

    shown = _json(cli("request", "show", "r0001", "--json", *c))
    assert [e["action"] for e in shown["entries"]] == [
        "request.created", "artifact.copied", "request.sent", "response.received",
        "request.extended", "request.closed",
    ]  # fmt: skip
    assert shown["status"]["responses"][0]["items"] == ["E0001"]
    assert shown["record"]["officer"]["badge"] == "NWCU-0457"
    human = cli("request", "show", "R0001", *c)
    assert human.code == 0 and "LE-1" in human.stdout and "letter.html" in human.stdout

    listed = _json(cli("request", "list", "--json", *c))
    assert [(r["id"], r["state"], r["outcome"]) for r in listed] == [
        ("R0001", "closed", "fulfilled")
    ]
    assert _json(cli("request", "list", "--open", "--json", *c)) == []
    item = _json(cli("show", "E0001", "--json", *c))
    assert item["detail"]["request"] == "R0001"
    verified = cli("verify", *c, "--no-log")
    assert verified.code == 0, verified.stdout


def test_missing_fields_in_a_script_are_one_line(case: Case, cli: Cli) -> None:
    before = case.log_path.read_bytes()
    result = cli(
        "request", "new", "--type", "preservation", "--platform", "example",
        "--case", case.root,
    )  # fmt: skip
    assert result.code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for option in ("--badge", "--officer-phone", "--target or --items", "--summary", "--data"):
        assert option in lines[0], option
    assert case.log_path.read_bytes() == before


def test_missing_fields_are_asked_for_at_a_terminal(
    case: Case, signer: Signer, request_config: RequestConfig
) -> None:
    spec = RequestSpec(type="emergency", platform="example", addressee="Ex Ltd", channel="x@ex")
    draft = prepare(case, signer, spec, request_config, load_directory(request_config))
    assert [f.key for f in draft.missing()] == ["target", "categories", "emergency"]
    answers = iter(["https://market.example/l/1", "passwords", "traffic", "Live animal"])
    problems: list[str | None] = []

    def ask(field: FieldSpec, problem: str | None) -> str:
        problems.append(problem)
        return next(answers)

    complete(draft, ask)
    assert draft.missing() == []
    assert draft.values["categories"] == ["traffic"]
    assert problems == [None, None, "unknown data category 'passwords'", None]

    def stubborn(field: FieldSpec, problem: str | None) -> str:
        return "   "

    again = prepare(case, signer, spec, request_config, load_directory(request_config))
    with pytest.raises(InvalidInputError, match="cannot be empty"):
        complete(again, stubborn)


def test_due_list_and_status_show_deadlines_soon(
    tmp_path: Path, signer: Signer, request_config: RequestConfig, cli: Cli
) -> None:
    # A case whose clock started 80 days ago: a 90-day preservation sent then has its
    # extension deadline (7 days before expiry) about 3 days from now.
    start = datetime.now(UTC) - timedelta(days=80)
    case = Case.create(
        tmp_path / "old", case_id="WL-OLD", title="t", agency="NWCU", signer=signer, offence="x",
        clock=SteppingClock(start),
    )  # fmt: skip
    for days in (None, 200):
        create_request(case, signer, preservation_spec(days=days), config=request_config, pdf=None)
    create_request(
        case, signer, preservation_spec(type="disclosure", legal_basis="order"),
        config=request_config, pdf=None,
    )  # fmt: skip
    for rid in ("R0001", "R0002", "R0003"):
        mark_sent(case, signer, rid, via="email")
    c = ("--case", case.root)
    due = _json(cli("request", "list", "--due", "14", "--json", *c))
    assert [(r["id"], r["deadline"]["kind"]) for r in due] == [("R0001", "extension")]
    assert 2 < due[0]["days_left"] < 4
    assert _json(cli("request", "list", "--due", "1", "--json", *c)) == []
    everything = _json(cli("request", "list", "--json", *c))
    assert [r["id"] for r in everything] == ["R0001", "R0002", "R0003"]
    assert everything[2]["deadline"] is None

    status = _json(cli("status", "--json", *c))
    assert [r["id"] for r in status["due_requests"]] == ["R0001"]
    assert parse_utc(status["due_requests"][0]["deadline"]["at"]) > datetime.now(UTC)
    human = cli("status", *c)
    assert human.code == 0
    assert human.stdout.index("Requests due") < human.stdout.index("WL-OLD")
    assert "R0001 preservation to example: ask for an extension by" in human.stdout
    listed = cli("request", "list", "--due", "14", *c)
    assert listed.code == 0 and "R0001" in listed.stdout and "R0002" not in listed.stdout
    assert cli("request", "list", "--due", "-1", *c).code == 2


def test_respond_refuses_a_file_that_does_not_match_the_platform_hash(
    case: Case, cli: Cli, config_file: Path, tmp_path: Path
) -> None:
    c = ("--case", case.root)
    assert cli(*NEW, *c, "--no-pdf").code == 0
    assert cli("request", "sent", "R0001", "--via", "email", *c).code == 0
    returned = tmp_path / "data.bin"
    returned.write_bytes(b"\x00\x01")
    before = case.log_path.read_bytes()
    bad = cli("request", "respond", "R0001", returned, "--sha256", "ab" * 32, *c)
    assert bad.code == 2 and "does not match the SHA-256 the platform gave" in bad.stderr
    missing = cli("request", "respond", "R0001", tmp_path / "nope.bin", *c)
    assert missing.code == 2 and "file not found" in missing.stderr
    assert case.log_path.read_bytes() == before


def test_platforms_table_shows_the_period_a_new_request_gets(
    cli: Cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing and request creation read one policy: a configured 120 days shows as 120."""
    config = isolated_home / "config.toml"
    config.write_text("[request]\npreservation_days = 120\n", encoding="utf-8")
    monkeypatch.setenv("CYBERCASE_CONFIG", str(config))
    directory = load_directory(RequestConfig.from_config({"request": {"preservation_days": 120}}))
    expected = {
        key: directory.policy(p, RequestConfig.from_config({"request": {"preservation_days": 120}}))
        for key, p in directory.platforms.items()
    }
    assert expected["example"].preservation_days == 120
    listed = cli("request", "platforms", "--json")
    assert listed.code == 0, listed.stderr
    deadlines = listed.json()["deadlines"]  # type: ignore[index]
    assert {k: v["preservation_days"] for k, v in deadlines.items()} == {
        k: v.preservation_days for k, v in expected.items()
    }
    table = cli("request", "platforms")
    row = next(line for line in table.stdout.splitlines() if line.strip("│ ").startswith("example"))
    assert "120 d" in row and "90 d" not in row
