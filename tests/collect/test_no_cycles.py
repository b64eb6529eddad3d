"""No import cycle inside the collect layer: the contract exists, holds, and would catch one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "No import cycles inside collect or its subpackages"


def lint(
    config: Path, cwd: Path, extra_path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    program = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [program, str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
    )


def test_the_contract_covers_collect_and_is_kept() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == CONTRACT]
    assert contract["type"] == "acyclic_siblings"
    assert contract["ancestors"] == ["cybercase.collect"]
    done = lint(ROOT / "pyproject.toml", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{CONTRACT} KEPT" in done.stdout


def test_the_contract_type_breaks_on_a_cycle(tmp_path: Path) -> None:
    """The same contract on a package whose two modules import each other is broken."""
    package = tmp_path / "cyclic"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "first.py").write_text("from cyclic.sub import second\n")
    (package / "sub" / "second.py").write_text("from cyclic.sub import first\n")
    (package / "apart.py").write_text("")
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "cyclic"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "no cycles"\ntype = "acyclic_siblings"\nancestors = ["cyclic"]\n'
    )
    done = lint(config, tmp_path, extra_path=tmp_path)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "no cycles BROKEN" in done.stdout
    assert "cyclic.sub" in done.stdout
