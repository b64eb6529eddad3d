"""``cybercase capture``: capture web pages as evidence, one URL or thousands."""

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    HOST_DELAY_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    PER_HOST_OPTION,
    err,
    importing,
    open_case,
    out,
    progress_for,
    say,
    unlock_early,
)

if TYPE_CHECKING:
    from cybercase.collect.batch import BatchResult
    from cybercase.collect.commit import CaptureResult
    from cybercase.collect.video_download import VideoLimits
    from cybercase.evidence.timestamps import TimestampOutcome

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
SUMMARY_ROWS = 50


def register(app: typer.Typer) -> None:
    """Attach ``capture``."""
    app.command("capture")(capture)


def parse_size(text: str | None) -> int | None:
    """``64M``, ``1GiB``, ``500k`` or a number of bytes."""
    if text is None:
        return None
    match = _SIZE.match(text)
    if not match:
        from cybercase.errors import InvalidInputError

        raise InvalidInputError(f"not a size: {text!r}", hint="write e.g. 64M, 1G or 500000")
    factor = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    return int(match.group(1)) * factor[match.group(2).lower()]


def capture(
    urls: list[str] = typer.Argument(
        None, help="URLs to capture (http or https).", show_default=False, metavar="URL..."
    ),
    from_file: str = typer.Option(
        None,
        "--from",
        help="A file of URLs, one a line ('#' comments); '-' reads stdin.",
        metavar="FILE",
    ),
    tags: list[str] = typer.Option(
        [], "--tag", help="A tag for every item (repeat for several).", metavar="TAG"
    ),
    note: str = typer.Option(
        None, "--note", help="A note recorded with every item.", metavar="NOTE"
    ),
    persona: str = typer.Option(
        None,
        "--persona",
        help="The online persona (account) used, recorded with the capture.",
        metavar="NAME",
    ),
    user_agent: str = typer.Option(
        None, "--user-agent", help="User-Agent to send.", metavar="USER-AGENT"
    ),
    proxy: str = typer.Option(
        None,
        "--proxy",
        help="http://host:port, socks5://… or socks5h://… (e.g. Tor).",
        metavar="URL",
    ),
    header: list[str] = typer.Option(
        [],
        "--header",
        "-H",
        metavar="'NAME: VALUE'",
        help="Extra header; its value is withheld from the evidence (keyed hash kept) "
        "unless --keep-header NAME.",
    ),
    keep_header: list[str] = typer.Option(
        [],
        "--keep-header",
        metavar="NAME",
        help="An extra header safe to keep verbatim in the evidence (repeat for several).",
    ),
    cookies: Path = typer.Option(
        None, "--cookies", help="A Netscape cookies.txt (a logged-in session).", metavar="FILE"
    ),
    ca_bundle: Path = typer.Option(
        None, "--ca-bundle", help="Extra trusted CA certificates.", metavar="FILE"
    ),
    connect_timeout: float = typer.Option(
        None, "--connect-timeout", help="Seconds [10].", metavar="SECONDS"
    ),
    read_timeout: float = typer.Option(
        None, "--read-timeout", help="Seconds of silence [30].", metavar="SECONDS"
    ),
    total_timeout: float = typer.Option(
        None, "--timeout", help="Seconds per attempt [120].", metavar="SECONDS"
    ),
    max_size: str = typer.Option(
        None, "--max-size", help="Body size limit, e.g. 64M [256M].", metavar="SIZE"
    ),
    max_redirects: int = typer.Option(
        None, "--max-redirects", help="Redirects followed [10].", metavar="N"
    ),
    insecure: bool = typer.Option(
        None, "--insecure", help="Capture despite TLS errors (the failure is recorded)."
    ),
    keep_secrets: bool = typer.Option(
        None,
        "--keep-secrets",
        help="Keep every secret sent (cookies, Authorization, extra headers), verbatim.",
    ),
    no_images: bool = typer.Option(False, "--no-images", help="Do not fetch the page's images."),
    jobs: int = typer.Option(
        None,
        "--jobs",
        "-j",
        help="URLs captured at once [4]; the browser renders as many (at most 8).",
        metavar="N",
    ),
    per_host: int = PER_HOST_OPTION,
    host_delay: float = HOST_DELAY_OPTION,
    retries: int = typer.Option(
        None, "--retries", help="Retries of transient failures [2].", metavar="N"
    ),
    batch: str = typer.Option(
        None, "--batch", help="Name the batch (default: derived from the URL list).", metavar="NAME"
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Skip URLs that already have an item from this batch."
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Skip the screenshot, PDF, DOM and MHTML of each page."
    ),
    browser: Path = typer.Option(
        None,
        "--browser",
        help="The Chromium/Chrome/Edge to render pages with (default: found automatically).",
        metavar="FILE",
    ),
    scroll: bool = typer.Option(
        False,
        "--scroll",
        help="Load feeds first: scroll until the page stops growing, click 'load more'.",
    ),
    max_scroll: int = typer.Option(
        None, "--max-scroll", metavar="SCREENS", help="With --scroll: screens at most [60]."
    ),
    max_time: float = typer.Option(
        None, "--max-time", metavar="SECONDS", help="With --scroll: seconds per page at most [120]."
    ),
    video: bool = typer.Option(
        False, "--video", help="Also download the page's videos with yt-dlp (extra 'video')."
    ),
    max_video_size: str = typer.Option(
        None, "--max-video-size", metavar="SIZE", help="With --video: bytes per video [512M]."
    ),
    max_video_time: float = typer.Option(
        None, "--max-video-time", metavar="SECONDS", help="With --video: seconds per video [300]."
    ),
    config: Path = CONFIG_OPTION,
    case_dir: Path = CASE_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Capture web pages into the case: WARC, record, text and images, one item per URL.

    Every URL becomes an item, even when it fails (a 404 is a capture of a removed
    listing; a refused connection a logged attempt). When a browser is available each
    page is also rendered: full-page screenshot (plus a captioned copy), PDF, DOM after
    scripts and MHTML. A configured TSA timestamps the items (one seal for a batch).
    Exit 1 when any URL failed.
    """

    with importing():
        signer_of = unlock_early(key)
        from cybercase.collect.batch import read_url_file
        from cybercase.collect.config import load_capture_settings, parse_header
        from cybercase.collect.http.urls import check_url
        from cybercase.collect.session import BrowserChoice, browser_pages, capture_urls
        from cybercase.errors import InvalidInputError
        from cybercase.evidence.timestamps import TsaSettings

    listed = read_url_file(from_file) if from_file is not None else []

    given = [u.strip() for u in urls or [] if u.strip()]
    for url in given:
        check_url(url)
    all_urls = given + listed
    if not all_urls:
        raise InvalidInputError(
            "no URL to capture", hint="give URLs, or a file with --from FILE (or - for stdin)"
        )
    settings = load_capture_settings(
        config,
        {
            "user_agent": user_agent,
            "proxy": proxy,
            "headers": dict(parse_header(h) for h in header) or None,
            "cookies_file": cookies,
            "ca_bundle": ca_bundle,
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "total_timeout": total_timeout,
            "max_body_bytes": parse_size(max_size),
            "max_redirects": max_redirects,
            "insecure": insecure,
            "keep_secrets": keep_secrets,
            "keep_headers": keep_header or None,
            "images": False if no_images else None,
            "jobs": jobs,
            "per_host": per_host,
            "host_delay": host_delay,
            "retries": retries,
        },
    )
    feed = None
    if scroll:
        from cybercase.collect.browser.feed import load_feed_settings

        if no_browser:
            raise InvalidInputError(
                "--scroll needs the browser", hint="leave out --no-browser, or --scroll"
            )
        feed_settings = load_feed_settings(
            config, {"max_screens": max_scroll, "max_time": max_time}
        )
        feed = feed_settings.options()
    videos = _video_limits(video, max_video_size, max_video_time)
    tsa = TsaSettings.load(config)
    case = open_case(case_dir)
    signer = signer_of()

    def report(item: "CaptureResult") -> None:
        if json_out:
            emit_json_line(item.to_json())
        else:
            _say_item(item)

    from cybercase.cli.common import shown

    def browser_line(name: str | None, why_not: str | None) -> None:
        if json_out:
            return
        if name:
            say(f"Rendering pages with {name}.")
        elif why_not:
            say(f"[yellow]No browser view:[/yellow] {shown(why_not)}")

    session = capture_urls(
        case,
        signer,
        all_urls,
        settings,
        browser=BrowserChoice(
            enabled=not no_browser,
            executable=browser,
            pool_size=browser_pages(settings.jobs),
            feed=feed,
        ),
        tsa=tsa,
        batch_id=batch,
        resume=resume,
        tags=tags,
        note=note,
        persona=persona,
        progress=progress_for(json_out, unit="urls"),
        on_result=report,
        on_browser=browser_line,
        videos=videos,
    )
    result = session.batch
    if json_out:
        emit_json_line(session.to_json())
    else:
        _render_summary(result)
        for warning in session.annotation_warnings:
            say(f"[yellow]warning:[/yellow] {shown(warning)}")
        if session.timestamps is not None:
            _say_timestamps(session.timestamps)
    for media in session.media:
        for fetch in media.failed:
            say(f"[yellow]{media.item_id}: video not stored[/yellow] ({shown(fetch.message)})")
    if result.interrupted:
        raise typer.Exit(130)
    if result.failed or any(m.failed for m in session.media):
        raise typer.Exit(1)


def _video_limits(
    video: bool, max_size: str | None, max_time: float | None
) -> "VideoLimits | None":
    """The ``--video`` limits, or ``None``; yt-dlp missing is one clear error."""
    if not video:
        return None
    import importlib.util

    from cybercase.collect.video_download import VideoLimits
    from cybercase.errors import InvalidInputError

    if importlib.util.find_spec("yt_dlp") is None:
        raise InvalidInputError(
            "--video needs yt-dlp", hint="pip install 'cybercase[video]' (and ffmpeg for HLS)"
        )
    limits = VideoLimits()
    size = parse_size(max_size)
    if size is not None or max_time is not None:
        if max_time is not None and max_time <= 0:
            raise InvalidInputError("--max-video-time must be more than 0 seconds")
        limits = VideoLimits(
            max_bytes=size if size is not None else limits.max_bytes,
            max_time=max_time if max_time is not None else limits.max_time,
        )
    return limits


def emit_json_line(data: object) -> None:
    """One compact JSON object per line on stdout (``--json`` lines)."""
    import sys

    from cybercase.cli.common import json_text

    sys.stdout.write(json_text(data, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _say_item(item: "CaptureResult") -> None:
    from cybercase.cli.common import shown

    status = f" HTTP {item.status}" if item.status is not None else ""
    if item.ok:
        title = f" — {shown(item.title)}" if item.title else ""
        err().print(f"[green]{item.item_id} captured[/green]{status} {shown(item.url)}{title}")
    else:
        err().print(
            f"[red]{item.item_id} {item.outcome}[/red]{status} {shown(item.url)}: "
            f"{shown(item.message)}"
        )


def _render_summary(result: "BatchResult") -> None:
    from rich.table import Table

    from cybercase.cli.common import shown

    rows = result.results if len(result.results) <= SUMMARY_ROWS else result.failed
    if rows:
        table = Table(title=f"Batch {result.batch_id}")
        for column in ("item", "outcome", "status", "url", "title / error"):
            table.add_column(column, overflow="fold")
        for r in rows:
            colour = "green" if r.ok else "red"
            table.add_row(
                r.item_id,
                f"[{colour}]{r.outcome}[/{colour}]",
                str(r.status or ""),
                shown(r.url),
                shown((r.title or "") if r.ok else r.message),
            )
        out().print(table)
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.outcomes().items()))
    ok = len(result.results) - len(result.failed)
    line = f"{len(result.results)} item(s) recorded ({ok} captured, {len(result.failed)} failed)"
    if counts:
        line += f" — {counts}"
    if result.skipped:
        line += f"; {result.skipped} skipped (already captured by this batch)"
    err().print(line)
    if result.interrupted:
        err().print(
            "[yellow]interrupted[/yellow]: completed items are committed; run the same "
            "command with --resume to capture the rest"
        )


def _say_timestamps(outcome: "TimestampOutcome") -> None:
    from cybercase.cli.common import shown

    if outcome.granted:
        kinds = ", ".join(sorted({g.kind for g in outcome.granted}))
        err().print(
            f"Trusted timestamp granted ({kinds}, {outcome.round_trips} TSA round trip(s))."
        )
    elif outcome.pending:
        reason = outcome.note or "no time-stamping authority answered"
        err().print(
            f"[yellow]{len(outcome.pending)} item(s) await a trusted timestamp[/yellow] "
            f"({shown(reason)}); run 'cybercase timestamp --pending' later."
        )
