"""``cybercase training serve`` and ``training tsa`` as a user runs them, stopped with Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cybercase.evidence import Case
from cybercase.training import DEFAULT_PORT
from tests.conftest import CliResult

_RUN_CLI = "import sys; from cybercase.cli.app import main; sys.exit(main())"


@contextmanager
def serving(
    *args: str, command: str = "serve"
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start ``cybercase training serve ARGS`` and yield it with its stdout lines so far.

    For plain output the lines up to the listing URLs are read; for ``--json`` the whole
    JSON document. The process is always ended.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _RUN_CLI, "training", command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        end = "}" if "--json" in args else "/listing/1006"
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.rstrip().endswith(end):
                break
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_prints_the_url_serves_and_stops_cleanly_on_ctrl_c() -> None:
    with serving("--port", "0") as (process, lines):
        match = re.search(r"running at (http://127\.0\.0\.1:\d+)", lines[0])
        assert match, lines
        url = match.group(1)
        assert "FICTITIOUS" in lines[0]
        assert any(line.split() == ["sitemap", f"{url}/sitemap.txt"] for line in lines)
        listed = [line.strip() for line in lines if "/listing/" in line]
        assert listed == httpx.get(f"{url}/sitemap.txt").text.splitlines()
        assert "fictitious-banner" in httpx.get(f"{url}/listing/1001").text
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "GET /listing/1001  → 200" in stderr
    assert "Marketplace stopped." in stderr
    assert "Traceback" not in stderr
    with socket.socket() as probe:
        port = int(url.rsplit(":", 1)[1])
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_serve_json_gives_the_entry_points_on_stdout_and_a_day() -> None:
    with serving("--port", "0", "--day", "2", "--json") as (process, lines):
        data = json.loads("\n".join(lines))
        assert set(data) == {"url", "port", "day", "entry_points", "listings"}
        assert data["day"] == 2
        assert data["url"] == f"http://127.0.0.1:{data['port']}"
        assert httpx.get(data["entry_points"]["trainer"]).status_code == 200
        assert httpx.get(data["listings"][1]).status_code == 404
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "→" not in stderr


def test_serve_refuses_a_day_that_does_not_exist(cli: Callable[..., CliResult]) -> None:
    result = cli("training", "serve", "--day", "3")
    assert result.code == 2
    assert "--day" in result.stderr


def test_serve_on_a_busy_port_is_one_clear_line(cli: Callable[..., CliResult]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("training", "serve", "--port", str(port))
    assert result.code == 3
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_names_the_default_port(cli: Callable[..., CliResult]) -> None:
    result = cli("training", "serve", "--help")
    assert result.code == 0
    assert f"Default: {DEFAULT_PORT}" in result.stdout


def test_classroom_tsa_serves_tokens_students_can_seal_with_then_stops_on_ctrl_c(
    case: Case, tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "classroom-tsa"
    with serving("--port", "0", "--dir", str(folder), "--json", command="tsa") as (process, lines):
        where = json.loads("\n".join(lines))
        config = Path(where["config"])
        assert config.read_text(encoding="utf-8").count(where["url"]) == 1
        assert (folder / "url.txt").read_text(encoding="utf-8").strip() == where["url"]
        monkeypatch.setenv("CYBERCASE_CONFIG", str(config))
        exhibit = tmp_path / "listing.html"
        exhibit.write_text("<p>carved bangle</p>", encoding="utf-8")
        added = cli("add", exhibit, "--case", case.root)
        assert added.code == 0, added.stderr
        assert "E0001: token from classroom-tsa" in added.stdout
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    # The TEST root is not among the verifier's own roots: said as a warning, not hidden.
    verified = cli("verify", "--case", case.root, "--json")
    assert verified.code == 0, verified.stderr
    report = verified.json()
    assert isinstance(report, dict)
    assert report["result"] == "passed"


def test_classroom_tsa_on_a_busy_port_is_one_clear_line(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("training", "tsa", "--port", str(port), "--dir", tmp_path / "t")
    assert result.code == 3
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
