"""Shared fixtures: an isolated cybercase home, investigator keys, cases, and the CLI.

Every test gets its own ``CYBERCASE_HOME`` (keys, config) and a passphrase in the
environment, so nothing touches the real user's folder and nothing prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from cybercase.clock import SteppingClock
from cybercase.evidence import Case, KeyRing, Signer
from cybercase.settings import ENV_CASE, ENV_CONFIG, ENV_HOME, ENV_KEY, ENV_PASSPHRASE

PASSPHRASE = "correct horse battery"

# No wall-clock limits in tests: a property test on a busy 2-core machine may take seconds.
hypothesis_settings.register_profile("cybercase", deadline=None)
hypothesis_settings.load_profile("cybercase")

# Shared fixtures of each area live in tests/fixtures/<name>.py; list each module here.
pytest_plugins: list[str] = [
    "tests.fixtures.cases",
    "tests.fixtures.pages",
    "tests.fixtures.requests",
    "tests.fixtures.training",
    "tests.fixtures.tsa",
    "tests.fixtures.report",
    "tests.fixtures.servers",
    "tests.fixtures.agency",
    "tests.fixtures.shop",
]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private cybercase home for every test, with no case or key selected."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv(ENV_HOME, str(home))
    monkeypatch.setenv(ENV_PASSPHRASE, PASSPHRASE)
    monkeypatch.setenv("COLUMNS", "200")
    for name in (ENV_CASE, ENV_CONFIG, ENV_KEY):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def clock() -> SteppingClock:
    """A deterministic clock, one second per reading."""
    return SteppingClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def signer(isolated_home: Path) -> Signer:
    """An investigator key stored in the home keyring, unlocked."""
    ring = KeyRing(isolated_home)
    identity = ring.create("Amina Okafor", "a.okafor@wildlife.example", PASSPHRASE)
    return ring.unlock(ring.find(identity.fingerprint), PASSPHRASE)


@pytest.fixture
def case(tmp_path: Path, signer: Signer) -> Case:
    """A fresh case created by ``signer``."""
    return Case.create(
        tmp_path / "case",
        case_id="WL-2026-001",
        title="Ivory carvings offered online",
        agency="National Wildlife Crime Unit",
        jurisdiction="Kenya",
        offence="Wildlife Conservation and Management Act 2013, s. 92",
        species=["Loxodonta africana"],
        signer=signer,
    )


@dataclass
class CliResult:
    """What one CLI invocation did."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        """stdout parsed as JSON."""
        import json

        return json.loads(self.stdout)


Cli = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """Run ``cybercase`` in-process: ``cli("status", "--json")``."""
    from cybercase.cli.app import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    yield run
