"""Training: the offline simulated wildlife marketplace, the test TSA and the guided demo.

Nothing here reaches the network beyond 127.0.0.1; everything the site shows is
fictitious, and the TSA's certificates say they must not be trusted. ``Marketplace`` is
the entry point for the CLI, the demo and tests.
"""

from cybercase.training.demo import run_demo
from cybercase.training.marketplace import DEFAULT_PORT, Marketplace
from cybercase.training.marketplace_http import Visit
from cybercase.training.tamper import tamper
from cybercase.training.tsa import LocalTimestampAuthority
from cybercase.training.tsa_pki import TsaPki
from cybercase.training.tsa_server import run_test_tsa, start_classroom_tsa, start_test_tsa

__all__ = [
    "DEFAULT_PORT",
    "LocalTimestampAuthority",
    "Marketplace",
    "TsaPki",
    "Visit",
    "run_demo",
    "run_test_tsa",
    "start_classroom_tsa",
    "start_test_tsa",
    "tamper",
]
