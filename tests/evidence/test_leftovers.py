"""Leftovers of killed processes are cleaned on the next run, and logged (issue 22, 17).

A real ``cybercase add`` of a large file and a real ``cybercase export`` are SIGKILLed
while they write; the next command that writes to the case removes what they left (a
partial object in ``objects/tmp``, a hidden ``.exporting-`` folder) and says so in a
signed ``leftovers.removed`` entry. What a *live* process is writing is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify.case import verify_case
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

ROOT = Path(__file__).parents[2]
CLI = "import sys; from cybercase.cli.app import main; sys.exit(main(sys.argv[1:]))"
BIG = 160 * 1024 * 1024


def _spawn(*args: str | Path, stdin: int | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *map(str, args)],
        env=env,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` (polled, bounded to 120 s)."""
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None:
            _, error = proc.communicate()
            raise AssertionError(f"{what} ended before it could be killed: {error!r}")
        assert time.monotonic() < deadline, f"{what} never reached the point to kill it"
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _partial_objects(case: Case) -> list[Path]:
    tmp = case.store.tmp
    if not tmp.is_dir():
        return []
    found = []
    for path in tmp.iterdir():
        try:
            if path.name.startswith(".object-") and path.stat().st_size > 0:
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def _big_file(folder: Path) -> Path:
    path = folder / "seized-disk-image.bin"
    with path.open("wb") as fh:
        block = os.urandom(1024 * 1024)
        for number in range(BIG // len(block)):
            fh.write(number.to_bytes(4, "big") + block[4:])
    return path


def test_killed_add_leaves_a_partial_object_that_the_next_run_removes_and_logs(
    case: Case, signer: Signer, tmp_path: Path, cli: Cli
) -> None:
    big = _big_file(tmp_path)
    proc = _spawn("add", big, "-C", case.root)
    _kill_when(proc, lambda: bool(_partial_objects(case)), "the add")
    [partial] = _partial_objects(case)
    size = partial.stat().st_size
    assert 0 < size <= BIG
    # A report before cleaning still shows it (never silently).
    assert "object.temp" in {f.code for f in verify_case(case.root).findings}

    assert cli("note", "after the killed add", "-C", case.root).code == 0
    assert not partial.exists()
    assert case.store.leftover_temp_files() == []
    reopened = Case.open(case.root)
    [entry] = [e for e in reopened.entries() if e.action == "leftovers.removed"]
    assert entry.detail["where"] == "objects/tmp"
    assert entry.detail["count"] == 1 and entry.detail["removed"][0]["name"] == partial.name
    assert entry.detail["bytes"] >= size
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert "object.temp" not in {f.code for f in report.findings}
    # The next run has nothing to clean: no second entry.
    assert cli("note", "again", "-C", case.root).code == 0
    assert [e.action for e in Case.open(case.root).entries()].count("leftovers.removed") == 1


WRITER = """
import sys
from pathlib import Path
from cybercase.evidence import Case
case = Case.open(Path(sys.argv[1]))
with case.store.writer() as sink:
    sink.write(b"first half of an object still being written;")
    print("WRITING", flush=True)
    sys.stdin.readline()
    sink.write(b" second half")
print("DONE", sink.digest(), flush=True)
"""


def test_what_a_live_process_is_writing_is_never_removed(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(case.root)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "WRITING"
    before = case.store.leftover_temp_files()
    assert len(before) == 1
    # Another process writes to the case (and cleans): the live temp file stays.
    case.add_note(signer, "while another process writes")
    assert case.store.leftover_temp_files() == before
    output, _ = proc.communicate("go\n", timeout=60)
    done = output.split()
    assert proc.returncode == 0 and done[0] == "DONE"
    assert (case.store.base / done[1].removeprefix("sha256:")[:2]).is_dir()
    assert "leftovers.removed" not in [e.action for e in Case.open(case.root).entries()]


def test_killed_export_leaves_a_staging_folder_that_the_next_export_removes(
    case: Case, signer: Signer, tmp_path: Path, cli: Cli
) -> None:
    case.add_files(signer, [_big_file(tmp_path)])
    out = tmp_path / "exports"
    out.mkdir()
    other = out / ".OTHER-CASE_2026-01-01.exporting-0123abcd"
    other.mkdir()

    def staging_has_data() -> bool:
        for folder in out.glob(f".{case.meta.id}_*.exporting-*"):
            if any(p.is_file() and p.stat().st_size > 0 for p in folder.rglob("*")):
                return True
        return False

    proc = _spawn("export", "-C", case.root, "--out", out, "--no-pdf")
    _kill_when(proc, staging_has_data, "the export")
    [left] = list(out.glob(f".{case.meta.id}_*.exporting-*"))
    held = sum(p.stat().st_size for p in left.rglob("*") if p.is_file())

    result = cli("export", "-C", case.root, "--out", out, "--no-pdf", "--json")
    assert result.code == 0, result.stderr
    assert not left.exists()
    assert other.exists(), "another case's folder is not this case's to clean"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [other.name]
    entries = list(Case.open(case.root).entries())
    [entry] = [e for e in entries if e.action == "leftovers.removed"]
    assert entry.detail["where"] == str(out.absolute())
    assert entry.detail["removed"] == [{"name": left.name, "bytes": held}]
    assert entries[-1].action == "case.exported"
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert cli("verify", result.json()["path"]).code == 0  # type: ignore[index]
