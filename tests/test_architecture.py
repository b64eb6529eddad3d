"""The architecture as tests: layers import downwards, the public surface is deliberate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import cybercase.evidence

ROOT = Path(__file__).resolve().parents[1]


def test_layers_import_downwards_only() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run(
        [lint, str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: " in done.stdout and " broken" in done.stdout


def test_evidence_public_names() -> None:
    assert sorted(cybercase.evidence.__all__) == [
        "Actor",
        "Artifact",
        "Case",
        "CaseMeta",
        "CaseState",
        "CustodyEntry",
        "EntryDraft",
        "ItemView",
        "KeyRing",
        "PublicIdentity",
        "Signer",
        "Transaction",
        "locate_case",
    ]


def test_help_does_not_import_the_library() -> None:
    """`cybercase --help` must stay fast: no pydantic, cryptography, httpx or rich renderers."""
    code = (
        "import sys\n"
        "from cybercase.cli.app import main\n"
        "main(['--help'])\n"
        "heavy = [m for m in ('pydantic', 'cryptography', 'httpx', 'rich.table', 'warcio',"
        " 'playwright', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"
