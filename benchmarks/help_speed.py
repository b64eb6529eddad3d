"""Benchmark: ``cybercase --help`` and ``capture --help`` against ``python -c "import typer"``.

Targets (issue 17): ``cybercase --help`` <= 1.5x, ``cybercase capture --help`` <= 2x.
Heavy modules (pydantic, cryptography, httpx, rich's renderers) are imported inside the
commands that use them, so asking for help costs little more than importing typer. The
root group's help flag defaults to ``False`` (cli/app.py), or typer would import pydantic to
coerce it on every subcommand's ``--help``.

Both sides run from byte-compiled modules, as an installed package does (``pip install``
compiles them; typer's always are): the source tree is compiled first, because an
editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every
cybercase module again on each start (about 10 ms here) and time the compiler.

    python benchmarks/help_speed.py
"""

from __future__ import annotations

import compileall
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner, cybercase_cmd, env_with


def interleaved(commands: list[list[str]], env: dict[str, str], rounds: int = 21) -> list[Timing]:
    """Median wall and CPU time of each command, run in turn round after round.

    The machine is shared: taking the commands in turn exposes each to the same load,
    and CPU time (``getrusage`` of the children) moves far less with the load than wall.
    """
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    for _ in range(rounds):
        for n, command in enumerate(commands):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
            )
            walls[n].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[n].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return [
        Timing(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)
    ]


@dataclass(frozen=True)
class Timing:
    """Median wall-clock and CPU seconds of one command."""

    wall: float
    cpu: float


def main() -> None:
    banner("startup: cybercase --help and capture --help vs import typer")
    env = env_with()
    package = Path(__file__).resolve().parents[1] / "cybercase"
    compileall.compile_dir(package, quiet=1)
    rows = [
        ("python -c 'import typer'", [sys.executable, "-c", "import typer"], None),
        ("cybercase --help", [*cybercase_cmd(), "--help"], 1.5),
        ("cybercase capture --help", [*cybercase_cmd(), "capture", "--help"], 2.0),
        ("cybercase verify --help", [*cybercase_cmd(), "verify", "--help"], None),
    ]
    timings = interleaved([command for _, command, _ in rows], env)
    peer = timings[0]
    print("   (median of 21 rounds, the commands taken in turn; ratios to import typer)")
    for (label, _, target), timing in zip(rows, timings, strict=True):
        line = (
            f"   {label:<26} wall {timing.wall * 1e3:6.1f} ms  {timing.wall / peer.wall:4.2f}x   "
            f"CPU {timing.cpu * 1e3:6.1f} ms  {timing.cpu / peer.cpu:4.2f}x"
        )
        if target is not None:
            line += f"   target <= {target:g}x"
        print(line)


if __name__ == "__main__":
    main()
