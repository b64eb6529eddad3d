"""Training: the offline simulated wildlife marketplace (and, later, the guided demo).

Nothing here reaches the network beyond 127.0.0.1; everything the site shows is
fictitious. ``Marketplace`` is the entry point for the CLI, the demo and tests.
"""

from cybercase.training.marketplace import DEFAULT_PORT, Marketplace
from cybercase.training.marketplace_http import Visit

__all__ = ["DEFAULT_PORT", "Marketplace", "Visit"]
