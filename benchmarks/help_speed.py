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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner, cybercase_cmd, env_with, median_time


def main() -> None:
    banner("startup: cybercase --help vs import typer")
    env = env_with()
    package = Path(__file__).resolve().parents[1] / "cybercase"
    compileall.compile_dir(package, quiet=1)
    peer = median_time([sys.executable, "-c", "import typer"], env=env)
    ours = median_time([*cybercase_cmd(), "--help"], env=env)
    capture = median_time([*cybercase_cmd(), "capture", "--help"], env=env)
    sub = median_time([*cybercase_cmd(), "verify", "--help"], env=env)
    print(f"   python -c 'import typer':  {peer * 1e3:6.1f} ms (median of 15)")
    print(
        f"   cybercase --help:          {ours * 1e3:6.1f} ms   ratio {ours / peer:.2f}x   "
        "target <= 1.5x"
    )
    print(
        f"   cybercase capture --help:  {capture * 1e3:6.1f} ms   ratio {capture / peer:.2f}x   "
        "target <= 2x"
    )
    print(f"   cybercase verify --help:   {sub * 1e3:6.1f} ms   ratio {sub / peer:.2f}x")


if __name__ == "__main__":
    main()
