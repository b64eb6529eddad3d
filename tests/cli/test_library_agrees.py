"""Decisions live in the library; the CLI only shows them (issue 21, point 3).

Each test runs the command and the library call it wraps on the same case and checks
they agree: the verify target and whether the run is logged, the request channel and
outcome as typed, the missing values of a request, and the ``--json`` shapes of the
case commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cybercase.cli.common import shown
from cybercase.cli.render import describe_entry
from cybercase.evidence import Case, Signer
from cybercase.evidence.status import case_status
from cybercase.monitor import load, watch_alerts
from cybercase.report.case_json import CaseOverview, CreatedCase, ItemShown
from cybercase.report.sections.generic import describe
from cybercase.report.verify_target import NO_PASSPHRASE, recording_plan, verify_target
from cybercase.request import MissingValuesError, RequestConfig, create_request, due_requests
from cybercase.request.fields import parse_outcome, parse_via
from cybercase.settings import ENV_PASSPHRASE
from tests.conftest import Cli, CliResult
from tests.fixtures.requests import preservation_spec


def _json(result: CliResult) -> Any:
    assert result.code == 0, result.stderr
    return result.json()


def test_verify_target_and_recording_agree_with_the_cli(
    cli: Cli, case: Case, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = verify_target(None, case.root)
    assert (chosen.kind, chosen.path) == ("case", case.root)
    assert verify_target(Path("x.WACZ")).kind == "wacz"
    assert verify_target(case.root).kind == "case"

    plan = recording_plan(case.root, signer.fingerprint, interactive=False)
    assert plan.record and plan.fingerprint == signer.fingerprint
    ran = _json(cli("verify", "--case", case.root, "--json"))
    assert isinstance(ran["recorded_seq"], int)

    stranger = recording_plan(case.root, "no-such-key", interactive=False)
    assert not stranger.record and stranger.why_not is None
    assert (
        _json(cli("verify", "--case", case.root, "--key", "nobody", "--json"))["recorded_seq"]
        is None
    )

    monkeypatch.delenv(ENV_PASSPHRASE)
    locked = recording_plan(case.root, None, interactive=False)
    assert (locked.fingerprint, locked.why_not) == (None, NO_PASSPHRASE)
    said = cli("verify", "--case", case.root)
    assert said.code == 0 and NO_PASSPHRASE in said.stderr


def test_via_and_outcome_are_read_by_the_library(cli: Cli, case: Case, config_file: Path) -> None:
    assert parse_via(" Portal ") == "portal"
    assert parse_outcome("FULFILLED\n") == "fulfilled"
    c = ("--case", case.root)
    from tests.cli.test_request_cmds import NEW

    assert cli(*NEW, *c, "--no-pdf").code == 0
    sent = cli("request", "sent", "R0001", "--via", " Portal ", *c)
    assert sent.code == 0 and "recorded as sent via portal " in sent.stderr
    closed = cli("request", "close", "R0001", "--outcome", "Fulfilled", *c)
    assert closed.code == 0 and "R0001 closed (fulfilled)" in closed.stderr
    bad = cli("request", "close", "R0001", "--outcome", "maybe", *c)
    assert bad.code == 2


def test_missing_values_the_library_names_the_cli_gives_as_options(
    rcase: Case, signer: Signer, cli: Cli
) -> None:
    spec = preservation_spec(badge=None, summary=None)
    config = RequestConfig()
    with pytest.raises(MissingValuesError) as caught:
        create_request(rcase, signer, spec, config=config, pdf=None)
    library = caught.value
    assert "--" not in library.message
    keys = [f.key for f in library.fields]
    assert "badge" in keys and "summary" in keys
    shown = cli(
        "request", "new", "--type", "preservation", "--platform", "example",
        "--case", rcase.root,
    )  # fmt: skip
    assert shown.code == 2
    assert "officer's badge number (--badge or [officer] badge)" in shown.stderr
    assert "brief summary of the facts (--summary)" in shown.stderr


def test_case_json_shapes_are_the_library_models(cli: Cli, tmp_path: Path) -> None:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    made = _json(
        cli("init", tmp_path / "c", "--id", "C-1", "--title", "t", "--agency", "a", "--json")
    )
    case = Case.open(tmp_path / "c")
    assert made == CreatedCase.of(case).to_json()

    doc = tmp_path / "doc.txt"
    doc.write_text("evidence", encoding="utf-8")
    added = _json(cli("add", doc, "--case", case.root, "--json"))
    assert [row["id"] for row in added] == ["E0001"]
    assert set(added[0]) == {"id", "name", "digest", "size", "media_type", "acquired", "timestamp"}

    case = Case.open(case.root)
    shown = _json(cli("show", "E0001", "--case", case.root, "--json"))
    view = case.item("E0001")
    assert shown == json.loads(json.dumps(ItemShown(view, case.item_entries("E0001")).to_json()))

    status = cli("status", "--case", case.root, "--json")
    overview = CaseOverview(case_status(case), due_requests(case), watch_alerts(load(case)))
    assert json.loads(status.stdout) == json.loads(json.dumps(overview.to_json()))

    out = tmp_path / "copy.txt"
    copied = _json(
        cli("show", "E0001", "--file", "doc.txt", "--out", out, "--case", case.root, "--json")
    )
    assert copied["item"] == "E0001" and copied["to"] == str(out)
    assert copied["entry"] == Case.open(case.root).state.last_seq


def test_the_terminal_and_the_report_describe_an_entry_alike(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    doc = tmp_path / "listing [ivory].txt"
    doc.write_text("evidence", encoding="utf-8")
    case.add_files(signer, [doc], note="saved by hand")
    case.add_note(signer, "called the platform", None)
    described = [(describe_entry(e), describe(e)) for e in case.entries()]
    assert len(described) >= 3
    for terminal, report in described:
        assert terminal == shown(report)
