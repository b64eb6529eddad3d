"""The README's promise: its two set-up commands are the ones CI and users run."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands_under(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    [command] = commands_under("Run the tests")
    assert "python -m pytest" in command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci, "the last step of .ci/run must be the README's test command"
    assert ci[-1] == command


def test_readme_first_command_installs_and_runs_the_demo() -> None:
    [command] = commands_under("Try it: the offline demo")
    assert command.endswith("pip install . && cybercase demo")


def test_readme_test_command_never_calls_a_bare_sudo() -> None:
    """Root shells on Debian have no sudo: the command may only ask whether it exists."""
    [command] = commands_under("Run the tests")
    prefix, _, rest = command.partition(";")
    assert prefix == "S=$(command -v sudo || true)"
    assert "sudo" not in rest
    assert " $S apt-get update && $S apt-get install -y " in f" {rest.strip()}"


def run_prefix(tmp_path: Path, path: Path) -> subprocess.CompletedProcess[str]:
    """The README's ``S=...`` prefix, then ``$S true``, with only ``path`` on PATH."""
    [command] = commands_under("Run the tests")
    prefix = command.partition(";")[0]
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, "--noprofile", "--norc", "-c", f'{prefix}; $S true && echo "ran with [$S]"'],
        env={"PATH": str(path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_readme_sudo_prefix_works_as_root_without_sudo(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_prefix(tmp_path, empty)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran with []\n"
    assert done.stderr == ""


def test_readme_sudo_prefix_uses_sudo_when_there(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "sudo-calls"
    sudo = bin_dir / "sudo"
    sudo.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\n"$@"\n', encoding="utf-8")
    sudo.chmod(0o755)
    done = run_prefix(tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ran with [{sudo}]\n"
    assert calls.read_text(encoding="utf-8") == "true\n"
