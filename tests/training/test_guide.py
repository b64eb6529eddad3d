"""Keep the trainer's guide and the quickstart true to the code.

Every ``cybercase …`` command line the two pages quote (in code blocks and in inline
code) goes through the real command line's parser, down to the leaf command, so a
renamed or removed option or command breaks a test instead of a classroom. The photo
table of the guide's answer key is compared with the marketplace's catalogue.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from cybercase.cli.app import app
from cybercase.training import catalogue

try:  # typer 0.2x carries its own copy of click
    from typer._click.exceptions import MissingParameter, UsageError
except ImportError:  # older typer: click itself
    from click.exceptions import (  # type: ignore[assignment]
        MissingParameter,
        UsageError,
    )

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("docs/training.md", "docs/quickstart.md")

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`(cybercase (?:[a-z]|--?[a-z])[^`]*)`")
COMMAND = re.compile(r"^(?:\$ )?(cybercase(?:\s.*)?)$")


def quoted_commands(text: str) -> list[str]:
    """The ``cybercase`` command lines of ``text``'s shell blocks, line by line.

    Output blocks (```text) are skipped: they show what a command printed, which may
    quote a command in a sentence. Backslash continuations are joined first.
    """
    found: list[str] = []
    for lang, body in FENCE.findall(text):
        if lang not in ("sh", "bat", "powershell", ""):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            match = COMMAND.match(line.strip())
            if match:
                found.append(match.group(1))
    return found


def inline_commands(text: str) -> list[str]:
    """The ``cybercase …`` spans of inline code in ``text``'s prose.

    Prose often names a command without all its arguments (`cybercase show`, "then
    `cybercase training tamper` followed by the path"), so these are parsed leniently:
    commands and options must exist, missing arguments are allowed.
    """
    prose = FENCE.sub("", text).replace("\n", " ")
    return INLINE.findall(prose)


def parse(line: str, *, lenient: bool = False) -> str:
    """Parse ``line`` as the real CLI would, without running the command.

    Returns the leaf command's path (e.g. ``cybercase request new``); raises
    ``UsageError`` (or a subclass) when an option or command does not exist, a value
    is missing or a choice is invalid. ``lenient`` still rejects unknown commands and
    options (the parser meets them before it checks values), but not missing values.
    """
    words = shlex.split(line, comments=True)
    assert words[0] == "cybercase"
    command = typer.main.get_command(app)
    path, args = ["cybercase"], words[1:]
    parent = None
    while True:
        if hasattr(command, "resolve_command") and not args:  # a group named in prose
            return " ".join(path)
        try:
            ctx = command.make_context(path[-1], list(args), parent=parent)
        except typer.Exit as stop:  # --help, --version: parsed, then stopped
            assert stop.exit_code == 0
            return " ".join(path)
        except MissingParameter:
            if lenient:
                return " ".join(path)
            raise
        rest = [*ctx._protected_args, *ctx.args]
        if not hasattr(command, "resolve_command") or not rest:
            return " ".join(path)
        sub_name, sub, args = command.resolve_command(ctx, rest)
        assert sub is not None and sub_name is not None
        command, parent = sub, ctx
        path.append(sub_name)


def commands_of(page: str) -> list[str]:
    return quoted_commands((ROOT / page).read_text(encoding="utf-8"))


def inline_of(page: str) -> list[str]:
    return inline_commands((ROOT / page).read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES)
def test_every_quoted_command_parses(page: str) -> None:
    lines = commands_of(page)
    assert len(lines) >= 15, f"{page}: expected its many cybercase commands, found {lines}"
    failures = []
    for line in lines:
        try:
            parse(line)
        except UsageError as exc:
            failures.append(f"{line!r}: {exc.format_message()}")
    assert not failures, f"{page}: commands the CLI rejects:\n" + "\n".join(failures)


@pytest.mark.parametrize("page", PAGES)
def test_every_command_named_in_prose_exists(page: str) -> None:
    lines = inline_of(page)
    assert lines, f"{page}: expected inline `cybercase …` code"
    failures = []
    for line in lines:
        try:
            parse(line, lenient=True)
        except UsageError as exc:
            failures.append(f"{line!r}: {exc.format_message()}")
    assert not failures, f"{page}: commands or options the CLI does not have:\n" + "\n".join(
        failures
    )


def test_the_guide_quotes_the_commands_of_each_exercise() -> None:
    lines = commands_of("docs/training.md")
    leaves = {" ".join(shlex.split(line)[:3]) for line in lines}
    for expected in (
        "cybercase training serve",
        "cybercase training tamper",
        "cybercase request new",
        "cybercase request sent",
    ):
        assert expected in leaves
    assert any(line.startswith("cybercase capture --from") for line in lines)
    assert any(line.startswith("cybercase export") for line in lines)
    assert "cybercase demo" in lines


@pytest.mark.parametrize(
    "line",
    [
        "cybercase capture --no-such-option http://127.0.0.1:8765/listing/1001",
        "cybercase capture --from",
        "cybercase no-such-command",
        "cybercase training serve --day",
        "cybercase training no-such-subcommand",
        "cybercase request new --type no-such-type",
        "cybercase export --no-such-option",
    ],
)
def test_the_parser_rejects_what_the_cli_rejects(line: str) -> None:
    with pytest.raises(UsageError):
        parse(line)


def test_the_parser_reaches_the_leaf_command() -> None:
    assert parse("cybercase request new --type preservation --platform meta") == (
        "cybercase request new"
    )
    assert parse("cybercase training tamper PACKAGE") == "cybercase training tamper"
    assert parse("cybercase training --help") == "cybercase training"


def test_the_extractors_find_shell_lines_continuations_and_inline_code() -> None:
    text = (
        "Run `cybercase verify` (not `cybercase TEST-ONLY root`) then:\n\n```sh\n"
        "cybercase seal\ncybercase request new --type preservation \\\n  --items E0001\n"
        "cd somewhere   # not cybercase\n```\n\n```text\ncybercase export printed this\n```\n"
        "and `cybercase export\n--zip`."
    )
    assert quoted_commands(text) == [
        "cybercase seal",
        "cybercase request new --type preservation    --items E0001",
    ]
    assert inline_commands(text) == ["cybercase verify", "cybercase export --zip"]


def test_lenient_parsing_allows_missing_values_but_not_made_up_options() -> None:
    assert parse("cybercase show", lenient=True) == "cybercase show"
    with pytest.raises(UsageError):
        parse("cybercase show", lenient=False)
    with pytest.raises(UsageError):
        parse("cybercase show E0001 --no-such-option", lenient=True)
    with pytest.raises(UsageError):
        parse("cybercase no-such-command", lenient=True)


def photo_rows() -> dict[str, list[str]]:
    text = (ROOT / "docs/training.md").read_text(encoding="utf-8")
    section = text.split("### Photos and their EXIF", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in section.splitlines()[2:]:
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_the_answer_key_photo_table_matches_the_catalogue() -> None:
    rows = photo_rows()
    assert set(rows) == {photo.name for photo in catalogue.PHOTOS}
    for photo in catalogue.PHOTOS:
        _, _, camera, serial, taken, gps = rows[photo.name]
        if photo.camera is None:
            assert (camera, serial) == ("none", "none")
        else:
            assert camera == f"{photo.camera.make} {photo.camera.model}"
            assert serial == photo.camera.serial
        assert taken == (photo.taken or "none")
        if photo.gps is None:
            assert gps == "none"
        else:
            decimal = re.search(r"\((.+?), (.+?)\)", gps)
            assert decimal is not None, gps
            lat, lon = (float(v.replace("−", "-")) for v in decimal.groups())
            assert (lat, lon) == (photo.gps.lat, photo.gps.lon)


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", (*PAGES, "docs/index.md"))
def test_every_relative_link_points_at_a_file(page: str) -> None:
    source = ROOT / page
    targets = [t for t in LINK.findall(source.read_text(encoding="utf-8")) if "://" not in t]
    assert targets, f"{page}: expected links to other pages"
    missing = [t for t in targets if not (source.parent / t).is_file()]
    assert not missing, f"{page}: links to missing files: {missing}"


def test_the_index_lists_every_page() -> None:
    listed = set(LINK.findall((ROOT / "docs/index.md").read_text(encoding="utf-8")))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert pages <= listed, f"docs/index.md misses {sorted(pages - listed)}"
