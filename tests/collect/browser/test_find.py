"""Finding a browser: the user's choice first, then the system, then Playwright's cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cybercase.collect.browser import Renderer
from cybercase.collect.browser import find as browser_find
from cybercase.collect.browser.find import (
    ENV_BROWSER,
    BrowserConfig,
    _system_candidates,
    browser_config,
    find_browser,
    playwright_cache,
    playwright_candidates,
)
from cybercase.errors import BrowserUnavailableError, InvalidInputError


def executable(path: Path, text: str = "#!/bin/sh\nexit 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def no_system_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no browser anywhere cybercase looks."""
    monkeypatch.setattr(browser_find, "_system_candidates", lambda platform, env: iter(()))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "empty-cache"))
    monkeypatch.delenv(ENV_BROWSER, raising=False)


def test_explicit_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = executable(tmp_path / "my-chrome")
    monkeypatch.setenv(ENV_BROWSER, str(executable(tmp_path / "env-chrome")))
    assert find_browser(mine, config={}) == mine


def test_environment_then_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = executable(tmp_path / "env-chrome")
    from_config = executable(tmp_path / "config-chrome")
    config = {"browser": {"executable": str(from_config)}}
    monkeypatch.setenv(ENV_BROWSER, str(from_env))
    assert find_browser(config=config) == from_env
    monkeypatch.delenv(ENV_BROWSER)
    assert find_browser(config=config) == from_config


def test_configuration_file_is_read_when_none_is_given(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = executable(tmp_path / "configured")
    (isolated_home / "config.toml").write_text(f'[browser]\nexecutable = "{chosen}"\n')
    monkeypatch.delenv(ENV_BROWSER, raising=False)
    assert find_browser() == chosen


def test_a_named_browser_that_is_not_there_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_BROWSER, raising=False)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    for bad in (tmp_path / "missing", folder):
        with pytest.raises(BrowserUnavailableError, match="--browser is not an executable"):
            find_browser(bad, config={})
    plain = tmp_path / "not-executable"
    plain.write_text("")
    monkeypatch.setenv(ENV_BROWSER, str(plain))
    with pytest.raises(BrowserUnavailableError, match=ENV_BROWSER):
        find_browser(config={})


def test_unknown_configuration_key_names_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_BROWSER, raising=False)
    with pytest.raises(InvalidInputError, match=r"\[browser\] executabel"):
        find_browser(config={"browser": {"executabel": "/usr/bin/chromium"}})
    with pytest.raises(InvalidInputError, match=r"\[browser\] must be a table"):
        browser_config({"browser": "chromium"})
    assert browser_config({}) == BrowserConfig()


def test_no_browser_is_one_line_saying_how_to_get_one(no_system_browser: None) -> None:
    with pytest.raises(BrowserUnavailableError) as caught:
        find_browser(config={})
    line = caught.value.one_line()
    assert "\n" not in line
    for advice in ("apt install chromium", "winget install", "playwright install chromium"):
        assert advice in line
    assert "--browser" in line
    assert caught.value.exit_code == 3


def test_renderer_without_browser_raises_before_anything_starts(no_system_browser: None) -> None:
    with pytest.raises(BrowserUnavailableError, match="no Chromium"):
        Renderer(config={})


@pytest.mark.browser
def test_a_program_that_is_not_a_browser_does_not_start(tmp_path: Path) -> None:
    fake = executable(tmp_path / "fake-chromium", "#!/bin/sh\necho 'not a browser' >&2\nexit 3\n")
    with pytest.raises(BrowserUnavailableError, match="did not start") as caught:
        Renderer(fake, config={}, launch_timeout=20)
    assert "\n" not in caught.value.one_line()


def test_linux_places_start_with_the_debian_binary_then_path(tmp_path: Path) -> None:
    found = executable(tmp_path / "bin" / "chromium-browser")
    candidates = list(_system_candidates("linux", {"PATH": str(found.parent)}))
    assert candidates[0].path == Path("/usr/lib/chromium/chromium")
    assert candidates[-1].path == found


def test_windows_places_include_edge_for_machines_without_admin_rights(tmp_path: Path) -> None:
    env = {
        "PROGRAMFILES": str(tmp_path / "pf"),
        "PROGRAMFILES(X86)": str(tmp_path / "pf86"),
        "LOCALAPPDATA": str(tmp_path / "local"),
        "PATH": "",
    }
    paths = [c.path for c in _system_candidates("win32", env)]
    assert tmp_path / "pf" / r"Google\Chrome\Application\chrome.exe" in paths
    assert tmp_path / "local" / r"Chromium\Application\chrome.exe" in paths
    assert tmp_path / "pf86" / r"Microsoft\Edge\Application\msedge.exe" in paths


def test_mac_places(tmp_path: Path) -> None:
    paths = [c.path for c in _system_candidates("darwin", {"HOME": str(tmp_path), "PATH": ""})]
    assert Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome") in paths
    assert tmp_path / "Applications/Chromium.app/Contents/MacOS/Chromium" in paths


def test_playwright_cache_newest_full_chromium_first(tmp_path: Path) -> None:
    cache = tmp_path / "ms-playwright"
    old = executable(cache / "chromium-1100" / "chrome-linux" / "chrome")
    new = executable(cache / "chromium-1200" / "chrome-linux64" / "chrome")
    shell = executable(cache / "chromium_headless_shell-1300" / "chrome-linux" / "headless_shell")
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(cache)}
    assert [c.path for c in playwright_candidates("linux", env)] == [new, old, shell]


def test_playwright_cache_is_used_when_no_system_browser(
    no_system_browser: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    chrome = executable(cache / "chromium-1200" / "chrome-linux" / "chrome")
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(cache))
    assert find_browser(config={}) == chrome


def test_playwright_cache_default_places(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert playwright_cache("linux", {"HOME": home}) == tmp_path / ".cache" / "ms-playwright"
    assert playwright_cache("linux", {"HOME": home, "XDG_CACHE_HOME": "/x"}) == Path(
        "/x/ms-playwright"
    )
    assert playwright_cache("darwin", {"HOME": home}) == Path(home, "Library/Caches/ms-playwright")
    assert playwright_cache("win32", {"LOCALAPPDATA": home}) == tmp_path / "ms-playwright"
    assert playwright_cache("linux", {}) is None


@pytest.mark.browser
def test_this_machine_has_a_usable_browser(browser_path: Path) -> None:
    assert browser_path.is_file() and os.access(browser_path, os.X_OK)
