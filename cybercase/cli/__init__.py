"""The ``cybercase`` command: typer commands that parse, call the library, and print.

``app`` is the typer application and ``main`` runs it and returns the exit code (tests
call it in-process). Every command module imports the library inside its functions, so
``cybercase --help`` loads none of it.
"""

from cybercase.cli.app import app, main

__all__ = ["app", "main"]
