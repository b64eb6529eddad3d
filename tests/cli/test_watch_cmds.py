"""``cybercase watch``, ``timeline``, ``show URL`` and ``status`` as a contract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cybercase.evidence import Case
from tests.conftest import Cli
from tests.fixtures.shop import Listing, Shop, photo


@pytest.fixture
def watched(case: Case, shop: Shop, cli: Cli) -> tuple[Case, str, str]:
    kept = shop.add("1", Listing("Ivory bangle", "€1,200", "bonecraft", photo(1)))
    removed = shop.add("2", Listing("Rhino horn cup", "US$9,000", "hornman", photo(2)))
    added = cli(
        "watch",
        "add",
        kept,
        removed,
        "--every",
        "12h",
        "--no-browser",
        "--note",
        "ivory ring",
        "--case",
        case.root,
        "--json",
    )
    assert added.code == 0, added.stderr
    data = added.json()
    assert isinstance(data, dict)
    assert [a["url"] for a in data["added"]] == [kept, removed]
    assert data["added"][0]["every_seconds"] == 12 * 3600
    first = cli("watch", "run", "--case", case.root, "--json")
    assert first.code == 0, first.stderr
    return case, kept, removed


def test_run_reports_changes_and_warns_first_in_status_and_list(
    watched: tuple[Case, str, str], shop: Shop, cli: Cli, tmp_path: Path
) -> None:
    case, kept, removed = watched
    shop.listings["1"].price = "€950"
    shop.listings["2"].mode = "404"
    hook = tmp_path / "events.jsonl"
    notify = f"{sys.executable} -c \"import sys; open({str(hook)!r}, 'a').write(sys.stdin.read())\""
    run = cli("watch", "run", "--all", "--notify", notify, "--case", case.root, "--json")
    assert run.code == 1, "a listing gone is a problem found"
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    events = {e["url"]: e for e in lines if "event" in e}
    assert events[kept]["event"] == "watch.changed"
    assert "price 1,200 EUR -> 950 EUR" in events[kept]["changes"]
    assert events[removed]["event"] == "watch.gone"
    assert lines[-1]["summary"]["gone"] == 1 and lines[-1]["summary"]["changed"] == 1
    sent = [json.loads(line) for line in hook.read_text(encoding="utf-8").splitlines()]
    assert sorted(e["event"] for e in sent) == ["watch.changed", "watch.gone"]
    command = events[removed]["alert"]["next_command"]
    assert command.startswith("cybercase request new --type preservation --platform PLATFORM")
    first_item = events[removed]["previous"]
    assert f"--items {first_item} --target {removed}" in command

    status = cli("status", "--case", case.root)
    assert status.code == 0
    assert status.stdout.index("Watched listings") < status.stdout.index("Case")
    assert "listing gone at " + removed in status.stdout
    assert "HTTP 404" in status.stdout
    assert f"--items {first_item}" in status.stdout
    as_json = cli("status", "--case", case.root, "--json").json()
    assert isinstance(as_json, dict)
    assert [a["kind"] for a in as_json["watch_alerts"]] == ["gone"]

    listed = cli("watch", "list", "--case", case.root)
    assert listed.stdout.index("Watched listings") < listed.stdout.index("Watched in")
    rows = cli("watch", "list", "--case", case.root, "--json").json()
    assert isinstance(rows, dict)
    assert {r["url"]: r["last_verdict"] for r in rows["watches"]} == {
        kept: "changed",
        removed: "gone",
    }
    assert all(r["state"] == "waiting" for r in rows["watches"])


def test_a_preservation_request_naming_the_capture_clears_the_warning(
    watched: tuple[Case, str, str], shop: Shop, cli: Cli
) -> None:
    case, _, removed = watched
    shop.listings["2"].mode = "home"
    cli("watch", "run", "--all", "--case", case.root)
    alert = cli("status", "--case", case.root, "--json").json()["watch_alerts"][0]  # type: ignore[index]
    args = alert["next_command"].split()[1:]
    args[args.index("PLATFORM")] = "curio"
    made = cli(
        *args,
        "--data",
        "subscriber",
        "--legal-basis",
        "Act s. 12",
        "--summary",
        "facts",
        "--relation",
        "seller",
        "--necessity",
        "deletion",
        "--follow-up",
        "production-order",
        "--officer",
        "A. Okafor",
        "--officer-email",
        "a@agency.example",
        "--channel",
        "le@curio.example",
        "--addressee",
        "Curio Ltd",
        "--badge",
        "B-1",
        "--officer-phone",
        "+254 700 000000",
        "--legal-provision",
        "s. 92",
        "--no-pdf",
        "--case",
        case.root,
    )
    assert made.code == 0, made.stderr
    after = cli("status", "--case", case.root, "--json").json()
    assert isinstance(after, dict)
    assert after["watch_alerts"] == []
    line = cli("timeline", removed, "--case", case.root, "--json").json()
    assert isinstance(line, dict)
    assert line["alerts"][0]["covered_by"] == "R0001"


def test_timeline_and_show_url(watched: tuple[Case, str, str], shop: Shop, cli: Cli) -> None:
    case, kept, _ = watched
    shop.listings["1"].description = "Now with papers from 1970."
    cli("watch", "run", "--all", "--case", case.root)
    line = cli("timeline", kept, "--case", case.root)
    assert line.code == 0
    assert "2 capture(s)" in line.stdout
    assert "+Now with papers from 1970." in line.stdout
    shown = cli("show", kept, "--case", case.root, "--json").json()
    assert isinstance(shown, dict)
    assert [c["verdict"] for c in shown["captures"]] == ["first", "changed"]
    never = cli("timeline", shop.server.url("/nothing"), "--case", case.root)
    assert never.code == 2 and "never captured" in never.stderr


def test_remove_and_bad_input(watched: tuple[Case, str, str], cli: Cli) -> None:
    case, kept, _ = watched
    assert cli("watch", "add", "ftp://x", "--case", case.root).code == 2
    bad = cli("watch", "add", kept, "--every", "10s", "--case", case.root)
    assert bad.code == 2 and "too often" in bad.stderr
    past = cli("watch", "add", kept + "?x", "--until", "2001-01-01", "--case", case.root)
    assert past.code == 2 and "already past" in past.stderr
    again = cli("watch", "add", kept, "--case", case.root, "--json").json()
    assert isinstance(again, dict) and again["already_watched"] == [kept]
    assert cli("watch", "remove", kept, "--reason", "sold", "--case", case.root).code == 0
    missing = cli("watch", "remove", kept, "--case", case.root)
    assert missing.code == 2 and "not watched" in missing.stderr
    rows = cli("watch", "list", "--removed", "--case", case.root, "--json").json()
    assert isinstance(rows, dict)
    assert {r["url"]: r["state"] for r in rows["watches"]}[kept] == "removed"
    nothing = cli("watch", "run", "--case", case.root)
    assert nothing.code == 0 and "Nothing is due" in nothing.stderr
