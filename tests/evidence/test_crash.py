"""Crashes for real: SIGKILL a writer at random moments; nothing committed is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify.case import verify_case

WRITER = Path(__file__).parent.parent / "fixtures" / "crash_writer.py"


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_committed(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    rng = random.Random(20261128)
    committed: dict[str, str] = {}
    kills = 0
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    while kills < 24:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(case.root), str(work)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        kills += 1
        for line in out.splitlines():
            if line.startswith("OK "):
                _, item_id, digest = line.split()
                committed[item_id] = digest
    assert len(committed) >= 10, "the writer should have committed items between kills"

    reopened = Case.open(case.root)
    # Any change (here a note) sets aside a torn tail first, if the last kill left one.
    reopened.add_note(signer, "after the crashes")
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    for item_id, digest in committed.items():
        view = reopened.item(item_id)
        assert view.artifacts[0].digest == digest


def test_torn_tail_is_set_aside_and_logged(case: Case, signer: Signer) -> None:
    log = case.root / "custody.jsonl"
    case.add_note(signer, "before the crash")
    before = log.read_bytes()
    torn = before.splitlines(keepends=True)[-1][:57]
    with log.open("ab") as fh:
        fh.write(torn)
    reopened = Case.open(case.root)
    assert reopened.state.torn_bytes == len(torn)
    report = verify_case(case.root)
    assert report.ok
    assert [f.code for f in report.warnings] == ["log.torn-tail"]

    reopened.add_note(signer, "after the crash")
    entries = list(reopened.entries())
    recovered = entries[-2]
    assert recovered.action == "log.recovered"
    artifact = recovered.detail["artifacts"][0]
    assert reopened.read_object(artifact["digest"]) == torn
    assert entries[-1].detail["text"] == "after the crash"
    assert log.read_bytes().startswith(before)
    final = verify_case(case.root)
    assert final.ok and not final.findings


def test_torn_tail_that_hides_a_committed_entry_is_refused(case: Case, signer: Signer) -> None:
    """Only an uncommitted write may be set aside; a damaged committed entry is not 'torn'."""
    case.add_note(signer, "committed")
    log = case.root / "custody.jsonl"
    data = log.read_bytes()
    log.write_bytes(data[:-1])  # drop the final newline: looks torn, but the head says committed
    reopened = Case.open(case.root)
    from cybercase.errors import CaseCorruptError

    with pytest.raises(CaseCorruptError):
        reopened.add_note(signer, "must not be written")
    assert log.read_bytes() == data[:-1]


def test_two_processes_never_interleave(case: Case, tmp_path: Path) -> None:
    script = (
        "import os,sys\n"
        "from pathlib import Path\n"
        "from cybercase.evidence import Case, KeyRing\n"
        "from cybercase.settings import user_home\n"
        "ring = KeyRing(user_home())\n"
        "s = ring.unlock(ring.find(), os.environ['CYBERCASE_PASSPHRASE'])\n"
        "c = Case.open(Path(sys.argv[1]))\n"
        "for i in range(60): c.add_note(s, f'{sys.argv[2]} {i}')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(case.root), tag], env=env)
        for tag in ("a", "b", "c")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert report.stats["entries"] == 1 + 180


def test_log_changed_under_the_lock_is_refused(case: Case) -> None:
    from cybercase.errors import StorageError
    from cybercase.evidence.log import jsonl as logfile

    log = case.root / "custody.jsonl"
    before = log.read_bytes()
    with pytest.raises(StorageError):
        logfile.append(log, b"{}\n", expected_end=len(before) + 5)
    assert log.read_bytes() == before


def test_disk_refusing_a_write_leaves_no_half_entry(case: Case, signer: Signer) -> None:
    """A real refused write (file-size limit, EFBIG) mid-entry: the log is cut back."""
    log = case.root / "custody.jsonl"
    before = log.read_bytes()
    script = (
        "import os, resource, signal, sys\n"
        "from pathlib import Path\n"
        "from cybercase.evidence import Case, KeyRing\n"
        "from cybercase.errors import StorageError\n"
        "from cybercase.settings import user_home\n"
        "ring = KeyRing(user_home())\n"
        "s = ring.unlock(ring.find(), os.environ['CYBERCASE_PASSPHRASE'])\n"
        "c = Case.open(Path(sys.argv[1]))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "limit = int(sys.argv[2])\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))\n"
        "try:\n"
        "    c.add_note(s, 'y' * 5000)\n"
        "except StorageError as exc:\n"
        "    print('REFUSED', exc.one_line())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    done = subprocess.run(
        [sys.executable, "-c", script, str(case.root), str(len(before) + 1000)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "REFUSED" in done.stdout, done.stderr
    assert log.read_bytes() == before
    case.add_note(signer, "the disk has room again")
    assert verify_case(case.root).ok
