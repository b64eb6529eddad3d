"""One ``--cookies`` file, one behaviour: the raw fetch and the browser send the same cookies.

Both paths read the file through :func:`cybercase.collect.cookies.load_cookies_txt`;
these tests hold them to it end to end: a real local server sees which cookies each path
sends (an expired one from neither), and a bad line or a missing file is the same error,
word for word, whichever path reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cybercase.collect.browser.options import RenderOptions, load_cookies_file
from cybercase.collect.browser.renderer import Renderer
from cybercase.collect.capture import capture_url, open_capturer
from cybercase.collect.config import CaptureSettings
from cybercase.collect.cookies import load_cookies_txt
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from tests.fixtures.servers import LocalServer

FUTURE = 4102444800  # 2100-01-01
NOW = 1_800_000_000.0


def cookies_file(folder: Path) -> Path:
    """A session cookie (expiry 0), a long-lived one and one that expired in 1970."""
    path = folder / "cookies.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        "# exported by a browser extension\n"
        "\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tlive\n"
        f"127.0.0.1\tFALSE\t/\tFALSE\t{FUTURE}\tlasting\tkept\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t1000\told\texpired\n"
    )
    return path


def bad_line_file(folder: Path) -> Path:
    path = folder / "bad.txt"
    path.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tonly-four\n")
    return path


def sent_cookies(server: LocalServer, path: str) -> list[str]:
    """The cookies of the one request for ``path`` (query included) the server saw."""
    (seen,) = [r for r in server.requests if r.path == path]
    return sorted(seen.headers.get("Cookie", "").split("; "))


def raw_error(case: Case, signer: Signer, path: Path) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as raised:
        open_capturer(case, signer, CaptureSettings(cookies_file=path, retries=0))
    return raised.value


def browser_error(renderer: Renderer, path: Path, out: Path) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as raised:
        renderer.submit("http://127.0.0.1:9/", out, options=RenderOptions(cookies_file=path))
    return raised.value


def test_the_loader_keeps_session_and_live_cookies_and_drops_expired(tmp_path: Path) -> None:
    cookies = load_cookies_txt(cookies_file(tmp_path), now=NOW)
    assert [(c.name, c.value, c.expires) for c in cookies] == [
        ("session", "live", None),
        ("lasting", "kept", FUTURE),
    ]
    assert [(c.name, c.value, c.expires) for c in load_cookies_file(cookies_file(tmp_path))] == [
        ("session", "live", None),
        ("lasting", "kept", float(FUTURE)),
    ]


def test_the_loader_refuses_a_bad_line_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tsecret-value\n")
    with pytest.raises(InvalidInputError) as raised:
        load_cookies_txt(path)
    assert raised.value.message == f"{path} is not a Netscape cookies.txt file"
    assert "secret-value" not in str(raised.value) + str(raised.value.hint)


def test_the_loader_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as raised:
        load_cookies_txt(tmp_path / "missing.txt")
    assert raised.value.message.startswith(f"cannot read cookie file {tmp_path / 'missing.txt'}")


def test_raw_fetch_sends_live_cookies_and_not_the_expired_one(
    case: Case, signer: Signer, http_server: LocalServer, tmp_path: Path
) -> None:
    settings = CaptureSettings(cookies_file=cookies_file(tmp_path), retries=0, images=False)
    result = capture_url(case, signer, http_server.url("/echo?via=raw"), settings)
    assert result.ok, result.message
    assert sent_cookies(http_server, "/echo?via=raw") == ["lasting=kept", "session=live"]


@pytest.mark.parametrize("kind", ["bad line", "missing file"])
def test_raw_fetch_refuses_a_bad_cookies_file(
    case: Case, signer: Signer, tmp_path: Path, kind: str
) -> None:
    path = bad_line_file(tmp_path) if kind == "bad line" else tmp_path / "missing.txt"
    error = raw_error(case, signer, path)
    assert error.message == load_error(path).message


@pytest.mark.browser
def test_browser_sends_the_same_cookies_as_the_raw_fetch(
    case: Case,
    signer: Signer,
    renderer: Renderer,
    http_server: LocalServer,
    tmp_path: Path,
) -> None:
    path = cookies_file(tmp_path)
    settings = CaptureSettings(cookies_file=path, retries=0, images=False)
    capture_url(case, signer, http_server.url("/echo?both=raw"), settings)
    raw = sent_cookies(http_server, "/echo?both=raw")
    options = RenderOptions(cookies_file=path)
    url = http_server.url("/echo?both=browser")
    result = renderer.submit(url, tmp_path / "page", options=options)
    assert result.result(timeout=120).complete
    browser = sent_cookies(http_server, "/echo?both=browser")
    assert browser == raw == ["lasting=kept", "session=live"]


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["bad line", "missing file"])
def test_browser_and_raw_fetch_give_the_same_error(
    case: Case, signer: Signer, renderer: Renderer, tmp_path: Path, kind: str
) -> None:
    path = bad_line_file(tmp_path) if kind == "bad line" else tmp_path / "missing.txt"
    raw = raw_error(case, signer, path)
    browser = browser_error(renderer, path, tmp_path / "out")
    assert (browser.message, browser.hint) == (raw.message, raw.hint)
    assert browser.message == load_error(path).message


def load_error(path: Path) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as raised:
        load_cookies_txt(path)
    return raised.value
