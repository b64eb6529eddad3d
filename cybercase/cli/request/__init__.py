"""``cybercase request``: preservation and disclosure requests to platforms.

One module per kind of work: :mod:`.new` (a request and its letter), :mod:`.steps` (sent,
respond, extend, close) and :mod:`.views` (show, list, platforms); :mod:`.group` holds
the typer group they attach to. Importing this package registers every command.
"""

from cybercase.cli.request import new, steps, views
from cybercase.cli.request.group import register, request_app

__all__ = ["new", "register", "request_app", "steps", "views"]
