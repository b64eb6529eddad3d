"""``cybercase demo`` end to end, as a new user runs it, and the classroom tamper moment."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from cybercase.report.verify import verify_package
from cybercase.training import catalogue
from cybercase.training.demo import DemoResult, run_demo

ROOT = Path(__file__).resolve().parents[2]


def run_cybercase(*args: str | Path, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYBERCASE_")}
    env["CYBERCASE_HOME"] = str(home)  # an empty home: the demo must not need or touch it
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cybercase", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    work = tmp_path_factory.mktemp("fresh")
    home = tmp_path_factory.mktemp("user-home")
    done = run_cybercase("demo", "--json", cwd=work, home=home)
    assert done.returncode == 0, done.stderr
    assert not any(home.iterdir()), "the demo must not write into the user's cybercase folder"
    return json.loads(done.stdout), work


@pytest.mark.browser
def test_demo_package_verifies_validates_and_lists_every_listing(
    demo_run: tuple[dict[str, object], Path],
) -> None:
    result, work = demo_run
    package = Path(str(result["package"]))
    assert package.is_relative_to(work / "cybercase-demo")
    assert result["case_verified"] is True and result["package_verified"] is True
    assert result["removed_listings"], "the later visit records the removed listing (404)"
    assert result["request"] == "R0001"

    bagit.Bag(str(package)).validate()
    report = verify_package(package)
    assert report.ok, [f.line() for f in report.findings]

    text = page_text(package / "index.html")
    for listing in catalogue.LISTINGS:
        assert listing.title in text, listing.title
    assert "FICTITIOUS" in text
    assert (package / "data" / "2-requests").is_dir()


@pytest.mark.browser
def test_tamper_is_caught_and_the_original_is_untouched(
    demo_run: tuple[dict[str, object], Path], tmp_path: Path
) -> None:
    result, work = demo_run
    package = Path(str(result["package"]))
    done = run_cybercase(
        "training",
        "tamper",
        package,
        "--out",
        tmp_path / "copy",
        "--json",
        cwd=work,
        home=tmp_path / "home",
    )
    assert done.returncode == 0, done.stderr
    tampered = json.loads(done.stdout)
    assert tampered["caught"] is True
    assert tampered["altered"].startswith("data/1-collection/")
    codes = {f["code"] for f in tampered["verification"]["findings"]}
    assert "object.corrupt" in codes
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(tmp_path / "copy")).validate()
    assert verify_package(package).ok


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    done = run_cybercase("demo", "--out", tmp_path / "busy", cwd=tmp_path, home=tmp_path / "h")
    assert done.returncode == 2
    assert "not empty" in done.stderr
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_demo_in_a_relative_folder_without_a_browser(tmp_path: Path) -> None:
    # The demo's TSA configuration lives in <out>/home; paths in it must not be read
    # relative to that folder (a relative --out once broke step 6 with "cannot read").
    done = run_cybercase(
        "demo",
        "--out",
        "relative-demo",
        "--no-browser",
        "--json",
        cwd=tmp_path,
        home=tmp_path / "h",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["case_verified"] is True and result["package_verified"] is True
    assert result["browser"] is None and "--no-browser" in str(result["browser_note"])
    assert (tmp_path / "relative-demo" / "case" / "custody.jsonl").is_file()
    assert verify_package(tmp_path / str(result["package"])).ok


def _narrated(tmp_path: Path) -> tuple[list[tuple[str, str]], DemoResult]:
    lines: list[tuple[str, str]] = []
    result = run_demo(
        tmp_path / "demo", narrate=lambda t, d: lines.append((t, d)), use_browser=False
    )
    return lines, result


def test_day_two_lines_state_what_the_watch_run_found(tmp_path: Path) -> None:
    lines, result = _narrated(tmp_path)
    data = result.to_json()
    changes = data["changes"]
    assert isinstance(changes, list)
    verdicts = {c["url"].rsplit("/", 1)[-1]: c for c in changes}
    assert {k: v["verdict"] for k, v in verdicts.items()} == {
        "1001": "unchanged",
        "1002": "gone",
        "1003": "unchanged",
        "1004": "changed",
        "1005": "unchanged",
        "1006": "unchanged",
    }
    said = dict(lines)
    assert said["Day 2 revisit"].startswith(
        "'watch run --all' recaptured 6 listing(s): 4 unchanged, 1 changed, 1 gone"
    )
    gone = verdicts["1002"]
    assert said["Listing gone"].startswith(f"/listing/1002: HTTP 404 (recorded as {gone['item']})")
    assert f"last capture that still showed it: {gone['previous']}" in said["Listing gone"]
    assert data["removed_listings"] == [gone["item"]]
    assert said["Listing changed"].startswith("/listing/1004: price 450 USD -> 390 USD")


def test_an_unchanged_site_is_reported_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cybercase.training.marketplace import Marketplace

    monkeypatch.setattr(Marketplace, "next_day", lambda self: self.day)
    lines, result = _narrated(tmp_path)
    said = dict(lines)
    assert said["Day 1 revisit"].startswith(
        "'watch run --all' recaptured 6 listing(s): 6 unchanged"
    )
    assert not [t for t, _ in lines if t.startswith("Listing")]
    assert result.to_json()["removed_listings"] == []
