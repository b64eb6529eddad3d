"""The quickstart's files: every file it adds is made by an earlier step of the page."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
WRITTEN = re.compile(r">\s*(\S+)\s*$")


def test_every_added_file_is_made_first() -> None:
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    made: set[str] = set()
    added: list[str] = []
    for block in SHELL.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            written = WRITTEN.search(line)
            if written and not line.startswith("cybercase"):
                made.add(written.group(1))
            words = shlex.split(line, comments=True)
            if words[:2] == ["cybercase", "add"]:
                files = []
                for word in words[2:]:
                    if word.startswith("-"):
                        break
                    files.append(word)
                assert files, line
                missing = [f for f in files if f not in made]
                assert not missing, f"{line!r} adds {missing}, which no step before it makes"
                added += files
    assert added, "the quickstart adds a file by hand"
