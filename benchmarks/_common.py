"""Helpers shared by the benchmark scripts: timing commands side by side."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cybercase_cmd() -> list[str]:
    """The cybercase command of the interpreter running the benchmark."""
    return [sys.executable, "-m", "cybercase"]


def env_with(**extra: str) -> dict[str, str]:
    """The environment plus a few variables, with the source tree importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def timed(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    repeat: int = 3,
    shell: bool = False,
    check: bool = True,
) -> float:
    """Best wall-clock time of ``repeat`` runs of a command (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            cmd if not shell else " ".join(cmd),
            env=env,
            shell=shell,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        times.append(time.perf_counter() - start)
        if check and done.returncode != 0:
            raise SystemExit(
                f"command failed ({done.returncode}): {' '.join(cmd)}\n"
                f"{done.stderr.decode(errors='replace')}"
            )
    return min(times)


def median_time(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, repeat: int = 15
) -> float:
    """Median wall-clock time of a short command (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def banner(title: str) -> None:
    """A heading for a benchmark's output."""
    print(f"== {title} ==")
    print(f"   machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
