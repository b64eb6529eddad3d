"""The ``cybercase watch`` typer group, which the watch commands attach to."""

import typer

watch_app = typer.Typer(
    help=(
        "Watch listings: recapture them on a schedule, see what changed (price, photos, "
        "text, seller), and be warned when one disappears - with the preservation request "
        "to send. 'watch run' is meant for cron, a systemd timer or the Task Scheduler."
    ),
    no_args_is_help=True,
)
