"""``cybercase capture`` as a new user meets it: refusals are one line, before any work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.conftest import Cli
from tests.fixtures.servers import LocalServer

NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
"""Root ignores file modes; without these capabilities it obeys them as any user does."""


def run_cybercase(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``cybercase ARGS`` in its own process, where file modes apply even to root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.fail("running as root needs setpriv (util-linux) to obey file modes")
        prefix = NO_DAC
    return subprocess.run(
        [*prefix, sys.executable, "-m", "cybercase", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def set_writable(root: Path, writable: bool) -> None:
    for folder, _, files in os.walk(root):
        for path in [Path(folder), *(Path(folder) / f for f in files)]:
            mode = path.stat().st_mode
            path.chmod(mode | 0o200 if writable else mode & ~0o222)


@pytest.fixture
def read_only_case(case: Case) -> Iterator[Case]:
    """The case with every folder and file made read-only (as on a write-protected share)."""
    set_writable(case.root, False)
    try:
        yield case
    finally:
        set_writable(case.root, True)


@pytest.mark.browser
@pytest.mark.parametrize("browser", [True, False], ids=["browser", "no-browser"])
def test_a_read_only_case_is_one_line_and_exit_3(
    read_only_case: Case,
    signer: Signer,
    http_server: LocalServer,
    browser_path: Path,
    browser: bool,
) -> None:
    flags = ["--browser", str(browser_path)] if browser else ["--no-browser"]
    url = http_server.url("/page")
    for json_mode in (False, True):
        done = run_cybercase(
            "capture", url, "-C", read_only_case.root, *flags, *(["--json"] if json_mode else [])
        )
        assert done.returncode == 3, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: cannot ") and "writable" in lines[0], lines
        assert "Rendering pages" not in done.stderr
        if json_mode:
            error = json.loads(done.stdout)["error"]
            assert error["type"] == "StorageError" and error["exit_code"] == 3
        else:
            assert done.stdout == ""
    set_writable(read_only_case.root, True)
    assert not read_only_case.store.leftover_temp_files()
    assert verify_case(read_only_case.root).ok


@pytest.fixture
def cli_case(cli: Cli, tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "c"
    assert cli("init", folder, "--id", "C", "--title", "t", "--agency", "a").code == 0
    return folder


def test_a_bad_url_argument_is_named_as_an_argument(cli: Cli, cli_case: Path) -> None:
    refused = cli("capture", "not a url", "-C", cli_case, "--no-browser")
    assert refused.code == 2
    assert "line" not in refused.stderr
    assert "not an http(s) URL: 'not a url'" in refused.stderr


def test_a_port_out_of_range_is_bad_input_not_a_refused_connection(
    cli: Cli, cli_case: Path
) -> None:
    refused = cli("capture", "http://127.0.0.1:99999/listing", "-C", cli_case, "--no-browser")
    assert refused.code == 2
    assert "port 99999 is not between 1 and 65535" in refused.stderr
    assert "refused" not in refused.stderr
    assert Case.open(cli_case).state.evidence_ids() == []


def test_the_url_is_kept_as_typed_beside_its_normalised_form(
    cli: Cli, cli_case: Path, http_server: LocalServer
) -> None:
    typed = http_server.url("/listing/../page")
    done = cli("capture", typed, "-C", cli_case, "--no-browser", "--no-images", "--json")
    assert done.code == 0, done.stderr
    detail = Case.open(cli_case).item("E0001").detail
    assert detail["url"] == http_server.url("/page")
    assert detail["url_as_typed"] == typed
    record = json.loads(Case.open(cli_case).read_object(_record_digest(detail)))
    assert record["requested_url"] == http_server.url("/page")
    assert record["requested_as_typed"] == typed
    plain = cli("capture", http_server.url("/page"), "-C", cli_case, "--no-browser", "--json")
    assert "url_as_typed" not in Case.open(cli_case).item("E0002").detail, plain.stderr


def _record_digest(detail: dict[str, object]) -> str:
    artifacts = detail["artifacts"]
    assert isinstance(artifacts, list)
    return next(str(a["digest"]) for a in artifacts if a["role"] == "record")


def test_a_usage_error_with_json_is_a_json_error(cli: Cli) -> None:
    refused = cli("capture", "--json", "--no-such-flag")
    assert refused.code == 2
    error = refused.json()["error"]  # type: ignore[index]
    assert error["type"] == "UsageError" and error["exit_code"] == 2
    assert "--no-such-flag" in error["message"]
    assert error["hint"] == "see 'cybercase capture --help'"
    assert refused.stderr.startswith("error: ")


def test_show_leaves_out_what_is_not_there(
    cli: Cli, cli_case: Path, http_server: LocalServer
) -> None:
    url = "http://127.0.0.1:1/nothing-listens-here"
    assert cli("capture", url, "-C", cli_case, "--no-browser", "--retries", "0").code == 1
    assert Case.open(cli_case).item("E0001").detail["final_url"] is None
    shown = cli("show", "E0001", "-C", cli_case)
    assert shown.code == 0
    assert "None" not in shown.stdout and "final_url" not in shown.stdout
