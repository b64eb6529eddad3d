"""The ``cybercase`` command line: the app, its command groups, and the one catch point.

Each command group lives in its own module and registers itself here. A
:class:`~cybercase.errors.CybercaseError` raised anywhere below becomes one line on
stderr (and a JSON error object on stdout with ``--json``) and its exit code; locals are
never shown in a traceback because passphrases and keys live in them.
"""

from __future__ import annotations

import contextlib
import sys

import typer
from typer._click.core import Context
from typer.core import TyperGroup, TyperOption

from cybercase import __version__
from cybercase.cli import (
    browse_cmds,
    capture_cmds,
    case_cmds,
    custodian_cmds,
    demo_cmds,
    export_cmds,
    helptext,
    investigate_cmds,
    key_cmds,
    queue_cmds,
    replica_cmds,
    request,
    shared_index_cmds,
    timestamp_cmds,
    training_cmds,
    verify_cmds,
    watch,
)


class _Group(TyperGroup):
    """The root group, whose ``--help`` flag defaults to ``False`` rather than ``None``.

    typer coerces a flag that defaults to ``None`` through a pydantic adapter, and the root's
    help flag is processed on every run of a subcommand: without this, ``cybercase capture
    --help`` would import pydantic (about half of typer's own import time) to print text.
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        """The help flag, with a boolean default."""
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


helptext.install()

app = typer.Typer(
    cls=_Group,
    name="cybercase",
    help=(
        "Capture, request and preserve online evidence of wildlife trafficking.\n\n"
        "Start with 'cybercase demo' (offline), or: 'cybercase key new', "
        "'cybercase init', 'cybercase add', 'cybercase verify'."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cybercase {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        help="On an internal error, print the traceback (never local variables) for a bug report.",
    ),
) -> None:
    """Capture, request and preserve online evidence of wildlife trafficking."""


demo_cmds.register(app)
key_cmds.register(app)
case_cmds.register(app)
capture_cmds.register(app)
browse_cmds.register(app)
timestamp_cmds.register(app)
request.register(app)
export_cmds.register(app)
verify_cmds.register(app)
custodian_cmds.register(app)
training_cmds.register(app)
investigate_cmds.register(app)
replica_cmds.register(app)
queue_cmds.register(app)
shared_index_cmds.register(app)
watch.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by tests)."""
    from cybercase.errors import CybercaseError

    args = sys.argv[1:] if argv is None else argv
    try:
        if "--json" in args:
            return _main_json(args)
        app(args=args, prog_name="cybercase", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except CybercaseError as exc:
        from cybercase.cli.common import emit_json, err

        if "--json" in args:
            emit_json(
                {
                    "error": {
                        "message": exc.message,
                        "hint": exc.hint,
                        "type": type(exc).__name__,
                        "exit_code": exc.exit_code,
                    }
                }
            )
        from cybercase.cli.common import shown

        err().print(
            f"[bold red]error:[/bold red] {shown(exc.one_line())}", markup=True, highlight=False
        )
        return exc.exit_code
    except KeyboardInterrupt:
        from cybercase.cli.common import err

        err().print("interrupted: what was completed is kept; nothing half-written counts")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a message
        return _internal_error(exc, verbose="--verbose" in args, json_out="--json" in args)
    return 0


def _internal_error(exc: Exception, *, verbose: bool, json_out: bool) -> int:
    """A bug: one line by default; the traceback without locals with ``--verbose``.

    Committed evidence is never at risk here: every write is durable before it counts, so
    the message can say so.
    """
    import traceback

    from cybercase.cli.common import clean, emit_json, err
    from cybercase.errors import EXIT_CANNOT_RUN

    message = f"internal error (a bug in cybercase {__version__}): {type(exc).__name__}: {exc}"
    if json_out:
        emit_json(
            {
                "error": {
                    "message": message,
                    "hint": "run the command again with 'cybercase --verbose ...' for a bug report",
                    "type": "InternalError",
                    "exit_code": EXIT_CANNOT_RUN,
                }
            }
        )
    console = err()
    if verbose:
        trace = "".join(traceback.format_exception(exc))
        console.print(clean(trace, multiline=True), markup=False, highlight=False)
    console.print(
        f"{clean(message)} — "
        "what was committed is kept; run the command again with 'cybercase --verbose ...' "
        "and send the traceback with your bug report",
        markup=False,
        highlight=False,
    )
    return EXIT_CANNOT_RUN


def _click_usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage error: typer may bundle its own copy of click, or use the package."""
    import click

    found: list[type[Exception]] = [click.UsageError]
    with contextlib.suppress(ImportError):
        from typer._click.exceptions import UsageError as BundledUsageError

        found.append(BundledUsageError)
    return tuple(found)


def _main_json(args: list[str]) -> int:
    """With ``--json``, a usage error is a JSON error object too, not only plain text."""
    try:
        code = app(args=args, prog_name="cybercase", standalone_mode=False)
    except _click_usage_errors() as exc:
        from cybercase.errors import UsageError

        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "cybercase"
        format_message = getattr(exc, "format_message", None)
        message = str(format_message()) if callable(format_message) else str(exc)
        raise UsageError(message, hint=f"see '{command} --help'") from exc
    except typer.Abort:
        raise KeyboardInterrupt from None
    return code if isinstance(code, int) else 0


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
