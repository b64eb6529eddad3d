"""Finding a Chromium-family browser to render pages with.

Investigators work on ordinary machines, often without admin rights, so cybercase
uses whatever Chromium-based browser is already there rather than insisting on one
it downloads: a path the user named (``--browser``, ``CYBERCASE_BROWSER``, or
``[browser] executable`` in the configuration), then a system Chromium, Chrome or
Edge in the usual places, then a browser that ``playwright install chromium`` put in
Playwright's own cache. A browser the user named explicitly is never silently
replaced by another: if it is not usable, that is the error.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from cybercase.errors import BrowserUnavailableError
from cybercase.settings import invalid_setting, load_config, section

ENV_BROWSER = "CYBERCASE_BROWSER"
CONFIG_TABLE = "browser"
INSTALL_HINT = (
    "install Chromium ('apt install chromium' on Debian/Ubuntu, 'winget install Google.Chrome' "
    "on Windows, or 'playwright install chromium'), or name one with --browser PATH or "
    f"{ENV_BROWSER}; raw captures work without a browser"
)

_LINUX_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
)
_LINUX_PATHS = (
    # Debian's /usr/bin/chromium is a shell wrapper that sources /etc/chromium.d; the
    # binary behind it starts faster and prints nothing on stderr.
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/lib/chromium-browser/chromium-browser",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/usr/bin/microsoft-edge",
    "/opt/microsoft/msedge/msedge",
    "/snap/bin/chromium",
)
_MAC_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
_WINDOWS_APPS = (
    r"Google\Chrome\Application\chrome.exe",
    r"Chromium\Application\chrome.exe",
    # Edge is Chromium-based and present on every current Windows machine, which
    # matters for officers who cannot install software on their laptop.
    r"Microsoft\Edge\Application\msedge.exe",
)
_PLAYWRIGHT_EXECUTABLES = (
    "chromium-*/chrome-linux*/chrome",
    "chromium-*/chrome-win*/chrome.exe",
    "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
    "chromium_headless_shell-*/chrome-*/headless_shell",
    "chromium_headless_shell-*/chrome-*/headless_shell.exe",
    "chromium_headless_shell-*/chrome-*/chrome-headless-shell",
    "chromium_headless_shell-*/chrome-*/chrome-headless-shell.exe",
)


class BrowserConfig(BaseModel):
    """The ``[browser]`` table of the configuration file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    executable: Path | None = None
    """The browser to use; overrides the automatic search (``--browser`` overrides this)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a browser may be, and why cybercase looks there."""

    path: Path
    source: str


def browser_config(config: Mapping[str, Any]) -> BrowserConfig:
    """Validate the ``[browser]`` table, naming the table in the error."""
    try:
        return BrowserConfig.model_validate(section(dict(config), CONFIG_TABLE))
    except ValidationError as exc:
        raise invalid_setting(
            exc,
            f"configuration: [{CONFIG_TABLE}]",
            hint="see docs/browser.md for the settings of the [browser] table",
        ) from exc


def is_usable(path: Path) -> bool:
    """Whether ``path`` is an executable file (not a folder, not a broken link)."""
    return path.is_file() and os.access(path, os.X_OK)


def find_browser(explicit: Path | None = None, *, config: Mapping[str, Any] | None = None) -> Path:
    """The browser executable to use, or :class:`BrowserUnavailableError`.

    ``config`` is the loaded configuration; ``None`` reads the configuration file in
    effect (see :mod:`cybercase.settings`).
    """
    chosen = _chosen(explicit, config)
    if chosen is not None:
        if is_usable(chosen.path):
            return chosen.path
        raise BrowserUnavailableError(
            f"the browser named by {chosen.source} is not an executable file: {chosen.path}",
            hint="check the path, or leave it out to let cybercase find a browser",
        )
    for candidate in _system_candidates(sys.platform, os.environ):
        if is_usable(candidate.path):
            return candidate.path
    for candidate in playwright_candidates(sys.platform, os.environ):
        if is_usable(candidate.path):
            return candidate.path
    raise BrowserUnavailableError("no Chromium, Chrome or Edge browser found", hint=INSTALL_HINT)


def _chosen(explicit: Path | None, config: Mapping[str, Any] | None) -> Candidate | None:
    if explicit is not None:
        return Candidate(Path(explicit).expanduser(), "--browser")
    env = os.environ.get(ENV_BROWSER)
    if env:
        return Candidate(Path(env).expanduser(), ENV_BROWSER)
    settings = browser_config(load_config() if config is None else config)
    if settings.executable is not None:
        return Candidate(settings.executable.expanduser(), f"[{CONFIG_TABLE}] executable")
    return None


def _system_candidates(platform: str, env: Mapping[str, str]) -> Iterator[Candidate]:
    """Where the usual Chromium-based browsers are installed on ``platform``."""
    if platform.startswith("win"):
        roots = [env.get(name) for name in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")]
        for app in _WINDOWS_APPS:
            for root in roots:
                if root:
                    yield Candidate(Path(root) / app, "system")
        for name in ("chrome", "msedge", "chromium"):
            found = shutil.which(name, path=env.get("PATH"))
            if found:
                yield Candidate(Path(found), "PATH")
        return
    if platform == "darwin":
        home = env.get("HOME")
        for app in _MAC_APPS:
            yield Candidate(Path("/Applications") / app, "system")
            if home:
                yield Candidate(Path(home) / "Applications" / app, "system")
    else:
        for fixed in _LINUX_PATHS:
            yield Candidate(Path(fixed), "system")
    for name in _LINUX_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            yield Candidate(Path(found), "PATH")


def playwright_cache(platform: str, env: Mapping[str, str]) -> Path | None:
    """The folder where ``playwright install`` puts browsers on ``platform``."""
    override = env.get("PLAYWRIGHT_BROWSERS_PATH")
    if override and override != "0":
        return Path(override).expanduser()
    if platform.startswith("win"):
        local = env.get("LOCALAPPDATA")
        return Path(local) / "ms-playwright" if local else None
    home = env.get("HOME")
    if not home:
        return None
    if platform == "darwin":
        return Path(home) / "Library" / "Caches" / "ms-playwright"
    cache = env.get("XDG_CACHE_HOME") or str(Path(home) / ".cache")
    return Path(cache) / "ms-playwright"


def playwright_candidates(platform: str, env: Mapping[str, str]) -> Iterator[Candidate]:
    """Browsers in Playwright's cache, newest revision first, full Chromium first."""
    cache = playwright_cache(platform, env)
    if cache is None or not cache.is_dir():
        return
    for pattern in _PLAYWRIGHT_EXECUTABLES:
        for found in sorted(cache.glob(pattern), key=_revision, reverse=True):
            yield Candidate(found, "playwright")


def _revision(path: Path) -> int:
    for part in path.parts:
        match = re.fullmatch(r"chromium(?:_headless_shell)?-(\d+)", part)
        if match:
            return int(match.group(1))
    return -1
