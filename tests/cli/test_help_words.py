"""Every command's ``--help`` names values in words, never Python or click type names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from cybercase.cli.app import app

TYPE_NAMES = re.compile(
    r"<[A-Za-z_][\w\[\], |.]*>"  # typer's <str>, <int>, <list[str]>, <path>, <float range>
    r"|\b(?:list|dict|tuple)\["
    r"|\b(?:TEXT|INTEGER|FLOAT|BOOLEAN|PATH|FILENAME|DIRECTORY|UUID|DATETIME|CHOICE)\b"
    r"|\bint range\b|\bfloat range\b"
)
"""Python type names (``<str>``, ``list[``) and click's upper-case ones (``TEXT``, ``PATH``).

``PATH`` counts as a type name: it is what click prints for any ``Path``; the words used
instead say which (``FILE``, ``FOLDER``, ``CASE-OR-PACKAGE``).
"""


def _commands() -> Iterator[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    context_class = type(typer.Context(root))

    def walk(command: Any, path: list[str], parent: Any) -> Iterator[tuple[str, Any, Any]]:
        ctx = context_class(command, info_name=path[-1], parent=parent, terminal_width=200)
        yield " ".join(path), command, ctx
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name], ctx)

    yield from walk(root, ["cybercase"], None)


COMMANDS = list(_commands())


def test_the_walk_reaches_every_group_and_subcommand() -> None:
    names = {name for name, _, _ in COMMANDS}
    for expected in ("cybercase request new", "cybercase key new", "cybercase queue add"):
        assert expected in names
    assert len(names) > 40


@pytest.mark.parametrize(("name", "command", "ctx"), COMMANDS, ids=[n for n, _, _ in COMMANDS])
def test_help_shows_no_type_name(name: str, command: Any, ctx: Any) -> None:
    text = command.get_help(ctx)
    found = [line.strip() for line in text.splitlines() if TYPE_NAMES.search(line)]
    assert not found, f"{name} --help shows a type name: {found}"


def test_every_value_has_a_metavar() -> None:
    """A value without one would fall back to a type name in some help renderer."""
    missing = [
        f"{name} {param.name}"
        for name, command, _ in COMMANDS
        for param in command.params
        if not getattr(param, "is_flag", False)
        and not getattr(param, "count", False)
        and not getattr(param, "hidden", False)
        and param.metavar is None
    ]
    assert missing == []
