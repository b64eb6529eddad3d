"""``python -m cybercase`` runs the command line."""

from cybercase.cli.app import entry_point

entry_point()
