"""The README's promise: its two set-up commands are the ones CI and users run."""

from __future__ import annotations

import re
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
