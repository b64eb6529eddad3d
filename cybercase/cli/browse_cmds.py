"""``cybercase browse``: browse by hand in a recorded persona browser; every page an item."""

from pathlib import Path

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    clean,
    emit_json,
    load_signer,
    open_case,
    say,
)


def register(app: typer.Typer) -> None:
    """Attach ``browse``."""
    app.command("browse")(browse)


def browse(
    persona: str = typer.Option(
        "default",
        "--persona",
        metavar="NAME",
        help="The persona whose browser profile (logins, cookies) is used, kept in "
        "cybercase's folder under personas/NAME, never your own browser's.",
    ),
    proxy: str = typer.Option(
        None,
        "--proxy",
        metavar="URL",
        help="Reach sites through http://host:port, socks5://… or socks5h://… (e.g. Tor).",
    ),
    browser: Path = typer.Option(
        None,
        "--browser",
        metavar="FILE",
        help="The Chromium/Chrome/Edge to use (default: found automatically).",
    ),
    keep_secrets: bool = typer.Option(
        False,
        "--keep-secrets",
        help="Keep cookies, Set-Cookie values and form posts (passwords) verbatim in the case.",
    ),
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Open a browser window that records: every page you visit becomes a signed item.

    Each page (once loaded) is kept with the traffic of its visit (WARC), a screenshot of
    the window, the DOM, the URL and UTC times. The red banner in the page shows that
    recording is on; its button, or Ctrl+Shift+S, makes a full-page screenshot item with
    an optional note. Close the window to end the session: one signed summary entry lists
    the pages captured and the secrets withheld (session cookies, form posts).
    """
    from cybercase.collect.browser.browse import BrowseOptions
    from cybercase.collect.browser.browse import browse as run

    case = open_case(case_dir)
    signer = load_signer(key)
    say(
        f"Recording into case {clean(case.meta.id)} as persona {clean(persona)}; "
        "close the browser window to stop.",
        quiet=json_out,
    )
    summary = run(
        case,
        signer,
        BrowseOptions(persona=persona, proxy=proxy, executable=browser, keep_secrets=keep_secrets),
    )
    if json_out:
        emit_json(summary.to_json())
        return
    withheld = ", ".join(summary.withheld) or "nothing"
    say(
        f"Session ended: {summary.pages} page(s) and {summary.full_pages} full-page "
        f"capture(s) as {len(summary.items)} item(s); withheld: {clean(withheld)} "
        f"(entry {summary.seq})."
    )
    for warning in summary.warnings:
        say(f"warning: {clean(warning)}")
