"""The checker shipped in each package: its tiny JCS equals RFC 8785, and it catches forgery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import bagit
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from cybercase.report.standalone.check_custody import jcs

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@given(json_values)
def test_tiny_jcs_matches_rfc8785(value: Any) -> None:
    assert jcs(value).encode("utf-8") == rfc8785.dumps(value)


def test_keys_sort_by_utf16_code_units() -> None:
    # U+E000 sorts before U+1F600 in code points' UTF-8 order too, but not in UTF-16:
    value = {"\U0001f600": 1, "\ue000": 2, "a": 3}
    assert jcs(value).encode() == rfc8785.dumps(value)
    assert jcs(value).index("\U0001f600") < jcs(value).index("\ue000")


def run_checker(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(package / "data/4-custody/check_custody.py")],
        capture_output=True,
        text=True,
    )


def test_checker_passes_an_intact_package(package: Path) -> None:
    run = run_checker(package)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("PASSED")


def test_checker_catches_an_edited_entry(package: Path) -> None:
    log = package / "data/4-custody/custody.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[-1])
    entry["detail"]["text"] = "Nothing to see here."
    lines[-1] = rfc8785.dumps(entry) + b"\n"
    log.write_bytes(b"".join(lines))
    bagit.Bag(str(package)).save(manifests=True)
    run = run_checker(package)
    assert run.returncode == 1
    assert "content does not match its hash" in run.stdout


def test_checker_catches_a_forged_signature(package: Path) -> None:
    log = package / "data/4-custody/custody.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["sig"] = entry["sig"][:-2] + ("00" if entry["sig"][-2:] != "00" else "01")
    lines[1] = rfc8785.dumps(entry) + b"\n"
    log.write_bytes(b"".join(lines))
    run = run_checker(package)
    assert run.returncode == 1
    assert "line 2: the signature is not valid" in run.stdout


def test_checker_needs_no_cybercase(package: Path, tmp_path: Path) -> None:
    """Run it in an interpreter where importing cybercase fails."""
    script = package / "data/4-custody/check_custody.py"
    blocker = (
        "import runpy, sys\n"
        "sys.modules['cybercase'] = None\n"
        f"sys.argv = [{str(script)!r}]\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['cybercase'] = None; import cybercase"],
        capture_output=True,
    )
    assert run.returncode != 0
    blocked = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, cwd=tmp_path
    )
    assert blocked.returncode == 0, blocked.stdout + blocked.stderr
    assert blocked.stdout.startswith("PASSED")
