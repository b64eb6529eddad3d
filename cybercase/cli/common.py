"""What every command shares: output discipline, finding the case, unlocking a key.

Data goes to stdout (JSON with ``--json``), messages to stderr. Only light modules are
imported at the top of this file so that ``cybercase --help`` stays fast; the library
is imported inside the functions that use it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from cybercase.evidence import Case, Signer
    from cybercase.progress import Progress

CASE_OPTION = typer.Option(
    None,
    "--case",
    "-C",
    help="The case folder. Default: $CYBERCASE_CASE, else this folder or a parent holding a case.",
    show_default=False,
    metavar="FOLDER",
)
JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
PER_HOST_OPTION = typer.Option(
    None, "--per-host", help="Captures of one host at once [2].", metavar="N"
)
HOST_DELAY_OPTION = typer.Option(
    None, "--host-delay", help="Seconds between captures of one host [0].", metavar="SECONDS"
)
KEY_OPTION = typer.Option(
    None,
    "--key",
    help="Sign with this key (fingerprint prefix or name). Default: $CYBERCASE_KEY, "
    "else your default key.",
    show_default=False,
    metavar="KEY",
)
CONFIG_OPTION = typer.Option(
    None,
    "--config",
    help="Configuration file. Default: $CYBERCASE_CONFIG, else config.toml in your "
    "cybercase folder.",
    show_default=False,
    metavar="FILE",
)

_stderr: Console | None = None
_stdout: Console | None = None

# C0 controls but tab and newline, DEL, C1 controls (0x9b is CSI on some terminals), and
# the bidirectional overrides that make a terminal show text in another order than it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object, *, multiline: bool = False) -> str:
    """Text from a server or a file, safe to print: control characters shown as ``\\x1b``.

    Page titles, URLs, headers, error texts and file names come from the sites under
    investigation; printed raw, ``ESC]0;…BEL`` retitles the investigator's terminal and
    ``ESC[2J`` clears it (or forges lines). Newlines are escaped too unless ``multiline``:
    a title must not be able to print a line of its own.
    """
    pattern = _CONTROL if multiline else _CONTROL_LINE
    return pattern.sub(_escaped, str(text))


def shown(text: object) -> str:
    """:func:`clean` text, escaped for rich markup: for any value placed in a message."""
    from rich.markup import escape

    return escape(clean(text))


def _console(**options: Any) -> Console:
    """A rich console that cleans every string it renders (the net under :func:`shown`)."""
    from rich.console import Console

    class SafeConsole(Console):
        def render_str(self, text: str, **kwargs: Any) -> Any:
            return super().render_str(clean(text, multiline=True), **kwargs)

    return SafeConsole(highlight=False, soft_wrap=True, **options)


def err() -> Console:
    """The console for messages (stderr)."""
    global _stderr
    if _stderr is None:
        _stderr = _console(stderr=True)
    return _stderr


def out() -> Console:
    """The console for human-readable data (stdout)."""
    global _stdout
    if _stdout is None:
        _stdout = _console()
    return _stdout


def json_text(data: Any, **options: Any) -> str:
    """JSON as printed: the characters a terminal would act on written as ``\\uXXXX``.

    ``json`` already escapes C0 controls; C1 controls and bidirectional overrides are
    valid raw in JSON strings, so they are escaped here (same data, safe on a terminal).
    """
    text = json.dumps(data, ensure_ascii=False, default=str, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(data: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json_text(data, indent=2) + "\n")
    sys.stdout.flush()


def say(message: str, *, quiet: bool = False) -> None:
    """A message for the user on stderr (suppressed when ``quiet``)."""
    if not quiet:
        err().print(message)


def interactive() -> bool:
    """Whether a person is at a terminal (prompts and progress bars are allowed)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def open_case(case_dir: Path | None) -> Case:
    """Find and open the case named by ``--case``, the environment or the current folder."""
    from cybercase.evidence import Case, locate_case

    with importing():  # the log's objects are no garbage: see importing
        return Case.open(locate_case(case_dir))


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """The passphrase from ``CYBERCASE_PASSPHRASE``, else asked at the terminal."""
    from cybercase.errors import InvalidInputError, PassphraseRequiredError
    from cybercase.settings import ENV_PASSPHRASE

    value = os.environ.get(ENV_PASSPHRASE)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise PassphraseRequiredError(
            "a passphrase is needed but there is no terminal to ask it on",
            hint="for scripts, set CYBERCASE_PASSPHRASE in the environment",
        )
    import getpass

    first = getpass.getpass(prompt)
    if confirm:
        second = getpass.getpass("Repeat the passphrase: ")
        if first != second:
            raise InvalidInputError("the two passphrases differ; nothing was changed")
    return first


def load_signer(selector: str | None = None) -> Signer:
    """Unlock the investigator's key (up to three tries at a terminal)."""
    from cybercase.errors import WrongPassphraseError
    from cybercase.evidence import KeyRing
    from cybercase.settings import ENV_KEY, ENV_PASSPHRASE, user_home

    ring = KeyRing(user_home())
    stored = ring.find(selector or os.environ.get(ENV_KEY) or None)
    tries = 1 if os.environ.get(ENV_PASSPHRASE) is not None or not sys.stdin.isatty() else 3
    for attempt in range(tries):
        passphrase = read_passphrase(f"Passphrase for {stored.name} ({stored.fingerprint[:16]}): ")
        try:
            return ring.unlock(stored, passphrase)
        except WrongPassphraseError:
            if attempt == tries - 1:
                raise
            say("[red]Wrong passphrase.[/red] Try again.")
    raise AssertionError("unreachable")


GC_YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""


@contextlib.contextmanager
def importing() -> Iterator[None]:
    """Import the library (or read a case) without the cyclic garbage collector, then
    freeze what it made.

    Importing pydantic, httpx, cryptography and the library makes hundreds of thousands
    of objects, none of them garbage, and so does reading a custody log (a tree of
    objects per entry); the collector's passes over them cost about a fifth of the
    import time, and a full pass during a batch scanned the whole log again. Frozen
    (``gc.freeze``), they are not scanned again. The collector is on again when the
    block ends, as it was before, and collects the young generation every
    :data:`GC_YOUNG_THRESHOLD` allocations: a batch's records and entries live long, and
    scanning them young over and over doubled the collector's time in a ``watch run``.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        young, *older = gc.get_threshold()
        gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
        if was_enabled:
            gc.enable()


def unlock_early(selector: str | None = None) -> Callable[[], Signer]:
    """Start unlocking the key now; the returned call gives the signer (or raises).

    Unlocking runs scrypt, a deliberate cost of about 0.1 s (benchmarks/README.md) that releases
    the GIL: started before a command imports the library and reads its input, it runs on
    the other core meanwhile. Only with the passphrase in the environment: a prompt, and
    its retries, stay in the calling thread at the point the command asks for the key.
    Any error (wrong passphrase, no key) is raised by the returned call, where
    :func:`load_signer` would have raised it.
    """
    from cybercase.settings import ENV_PASSPHRASE

    if os.environ.get(ENV_PASSPHRASE) is None:
        return lambda: load_signer(selector)
    import threading

    outcome: list[Signer | BaseException] = []

    def unlock() -> None:
        try:
            outcome.append(load_signer(selector))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as is
            outcome.append(exc)

    worker = threading.Thread(target=unlock, name="unlock", daemon=True)
    worker.start()

    def result() -> Signer:
        worker.join()
        found = outcome[0]
        if isinstance(found, BaseException):
            raise found
        return found

    return result


def progress_for(json_mode: bool, *, unit: str = "bytes") -> Progress:
    """A rich progress bar on a terminal; nothing in JSON or non-TTY mode.

    ``unit`` is ``"bytes"`` (sizes) or a counted thing (``"urls"``: shown as M/N).
    """
    from cybercase.progress import NullProgress

    if json_mode or not sys.stderr.isatty():
        return NullProgress()
    from cybercase.cli.progressbar import RichProgress

    return RichProgress(err(), unit=unit)
