"""What a hostile server sends never acts on the investigator's terminal (issue 22, 15).

A page title (or a reason phrase, a file name) holding ``ESC]0;…BEL`` would retitle the
terminal and ``ESC[2J`` clear it; a newline could forge a line such as ``PASSED``. The
real CLI is run against a real server and every output is checked for raw controls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cybercase.cli.common import clean, json_text
from tests.conftest import CliResult
from tests.fixtures.servers import LocalServer, send

Cli = Callable[..., CliResult]

HOSTILE = "\x1b]0;pwned\x07Ivory\x1b[2J\x9b31m\u202eroc.evil\nPASSED"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def _raw_controls(text: str) -> list[str]:
    return RAW.findall(text)


def test_hostile_title_and_file_name_are_escaped_in_every_command(
    cli: Cli, tmp_path: Path, http_server: LocalServer
) -> None:
    def page(h: BaseHTTPRequestHandler) -> None:
        body = f"<html><head><title>{HOSTILE}</title></head><body>x</body></html>"
        send(h, 200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})

    http_server.route("/hostile", page)
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "case"
    assert cli("init", folder, "--id", "WL-7", "--title", "t", "--agency", "a").code == 0
    named = tmp_path / "evil\x1b[2Jname\x07.txt"
    named.write_bytes(b"a file whose name is hostile")

    runs = [
        cli("capture", "--no-browser", "--retries", "0", http_server.url("/hostile"), "-C", folder),
        cli("add", named, "-C", folder),
        cli("show", "E0001", "-C", folder),
        cli("show", "E0002", "-C", folder),
        cli("log", "-C", folder),
        cli("status", "-C", folder),
    ]
    for result in runs:
        assert result.code == 0, result.stderr
        assert _raw_controls(result.stdout + result.stderr) == []
    captured = runs[0].stderr
    # The title is shown, its controls written out so the investigator sees them.
    assert "\\x1b]0;pwned\\x07Ivory\\x1b[2J" in captured
    assert "\\x9b31m\\u202eroc.evil" in captured
    assert "evil\\x1b[2Jname\\x07.txt" in runs[1].stdout

    as_json = cli(
        "capture",
        "--no-browser",
        "--retries",
        "0",
        http_server.url("/hostile"),
        "-C",
        folder,
        "--json",
    )
    assert _raw_controls(as_json.stdout) == []
    first = json.loads(as_json.stdout.splitlines()[0])
    assert "pwned" in first["title"] and "\x1b" in first["title"]  # the data itself is intact


@given(st.text())
def test_clean_leaves_no_control_character(text: str) -> None:
    assert _raw_controls(clean(text)) == []
    assert "\n" not in clean(text)
    assert _raw_controls(clean(text, multiline=True).replace("\n", "")) == []
    assert json.loads(json_text(text)) == text
    assert _raw_controls(json_text(text)) == []
