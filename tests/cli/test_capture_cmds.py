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
