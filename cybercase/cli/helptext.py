"""Help that speaks the user's language: an argument shows its metavar, not a type name.

Every option and argument of ``cybercase`` names what it wants in words (``URL``, ``ITEM``,
``FOLDER``, ``E0001,E0002``; ``metavar=`` at its definition). Typer shows an option's
metavar as given, but prints an argument as its metavar *and* its Python type
(``ITEM <str>``); an investigator reading ``--help`` has no use for ``<str>``. This
module makes arguments behave like options: a metavar, when set, is all that is shown.
``tests/cli/test_help_words.py`` walks every command and fails on any type name.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument

_typed = TyperArgument.display_type_rich


def _metavar_or_type(self: TyperArgument, ctx: Any) -> str | None:
    """No type beside an argument that has a metavar; the type otherwise (never hidden)."""
    if self.metavar is not None:
        return None
    return _typed(self, ctx)


def install() -> None:
    """Apply once, before the first help is rendered (``cybercase.cli.app`` does)."""
    setattr(TyperArgument, "display_type_rich", _metavar_or_type)  # noqa: B010
