"""``cybercase watch`` (add, list, remove, run) and ``cybercase timeline URL``.

:mod:`.listing` keeps the watch list, :mod:`.run` recaptures and compares, and
:mod:`.timeline` shows one URL's captures; :mod:`.group` holds the typer group they
attach to. Importing this package registers every command.
"""

import typer

from cybercase.cli.watch import listing, run, timeline
from cybercase.cli.watch.group import watch_app


def register(app: typer.Typer) -> None:
    """Attach the ``watch`` group and ``timeline``."""
    app.add_typer(watch_app, name="watch")
    app.command("timeline")(timeline.timeline)


__all__ = ["listing", "register", "run", "timeline", "watch_app"]
