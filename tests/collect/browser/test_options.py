"""Identity options: proxies, cookie files, headers and limits, checked before rendering."""

from __future__ import annotations

import http.cookiejar
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cybercase.collect.browser.options import (
    BrowserCookie,
    RenderOptions,
    Viewport,
    load_cookies_file,
    parse_proxy,
    prepare,
)
from cybercase.errors import InvalidInputError

FUTURE = int(time.time()) + 30 * 86400


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080", {"server": "http://127.0.0.1:8080"}),
        ("socks5://127.0.0.1:9050", {"server": "socks5://127.0.0.1:9050"}),
        ("socks5h://127.0.0.1:9050", {"server": "socks5://127.0.0.1:9050"}),
        ("HTTPS://Proxy.Example:3128/", {"server": "https://proxy.example:3128"}),
        ("http://[::1]:3128", {"server": "http://[::1]:3128"}),
        (
            "http://agent:p%40ss%20word@10.0.0.1:3128",
            {"server": "http://10.0.0.1:3128", "username": "agent", "password": "p@ss word"},
        ),
    ],
)
def test_proxy_addresses(url: str, expected: dict[str, str]) -> None:
    assert parse_proxy(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("tor", "not a proxy address"),
        ("127.0.0.1:9050", "not a proxy address"),
        ("ftp://127.0.0.1:21", "not a proxy address"),
        ("http://127.0.0.1:port", "port is not a number"),
        ("socks5://user:pw@127.0.0.1:9050", "cannot log in to a SOCKS5 proxy"),
        ("http://[::1", "not a proxy address"),
    ],
)
def test_bad_proxy_addresses(url: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_proxy(url)


def test_proxy_password_never_appears_in_the_error() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_proxy("gopher://agent:hunter2@127.0.0.1:1")
    assert "hunter2" not in caught.value.one_line()


@given(
    scheme=st.sampled_from(["http", "https", "socks5"]),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True),
    port=st.integers(min_value=1, max_value=65535),
)
def test_proxy_server_round_trips(scheme: str, host: str, port: int) -> None:
    assert parse_proxy(f"{scheme}://{host}:{port}") == {"server": f"{scheme}://{host}:{port}"}


def test_cookie_file_as_curl_and_browser_extensions_write_it(tmp_path: Path) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        "# written by an export extension\n"
        "\n"
        f".market.example\tTRUE\t/\tTRUE\t{FUTURE}\tsid\tabc123\n"
        "#HttpOnly_market.example\tFALSE\t/account\tFALSE\t0\tcsrf\txyz\n"
        ".market.example\tTRUE\t/\tFALSE\t1000\told\texpired\n"
    )
    cookies = load_cookies_file(path)
    assert cookies == [
        BrowserCookie("sid", "abc123", ".market.example", "/", True, False, float(FUTURE)),
        BrowserCookie("csrf", "xyz", "market.example", "/account", False, True, None),
    ]


def test_cookie_file_in_another_format_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cookies.json"
    path.write_text('[{"name": "sid", "value": "abc"}]')
    with pytest.raises(InvalidInputError, match=r"not a Netscape cookies\.txt file"):
        load_cookies_file(path)
    broken = tmp_path / "broken.txt"
    broken.write_text("# Netscape HTTP Cookie File\nonly\ttwo\n")
    with pytest.raises(InvalidInputError, match="not a Netscape"):
        load_cookies_file(broken)
    with pytest.raises(InvalidInputError, match="cannot read cookie file"):
        load_cookies_file(tmp_path / "missing.txt")


_token = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,=\\"'),
    min_size=1,
    max_size=20,
)


@given(
    cookies=st.lists(
        st.tuples(_token, _token, st.booleans(), st.booleans()),
        max_size=5,
        unique_by=lambda c: c[0],
    )
)
def test_cookie_files_written_by_the_standard_library_read_back(
    tmp_path_factory: pytest.TempPathFactory, cookies: list[tuple[str, str, bool, bool]]
) -> None:
    jar = http.cookiejar.MozillaCookieJar()
    for name, value, secure, session in cookies:
        jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                ".market.example",
                True,
                True,
                "/",
                True,
                secure,
                None if session else FUTURE,
                session,
                None,
                None,
                {},
            )
        )
    path = tmp_path_factory.mktemp("jar") / "cookies.txt"
    jar.save(str(path), ignore_discard=True, ignore_expires=True)
    loaded = {c.name: c for c in load_cookies_file(path)}
    assert set(loaded) == {name for name, *_ in cookies}
    for name, value, secure, session in cookies:
        assert loaded[name].value == value
        assert loaded[name].secure == secure
        assert loaded[name].expires == (None if session else float(FUTURE))


def test_prepare_translates_identity_without_keeping_secrets(tmp_path: Path) -> None:
    spec = prepare(
        RenderOptions(
            user_agent="Persona/1",
            proxy="http://agent:pw@127.0.0.1:3128",
            headers={"Authorization": "Bearer secret-token"},
            cookies=[BrowserCookie("sid", "secret-cookie", ".market.example", same_site="Lax")],
            viewport=Viewport(1024, 700),
            insecure=True,
            locale="fr-FR",
            timezone="Africa/Nairobi",
        )
    )
    kwargs = spec.context_kwargs
    assert kwargs["user_agent"] == "Persona/1"
    assert kwargs["viewport"] == {"width": 1024, "height": 700}
    assert kwargs["ignore_https_errors"] is True
    assert kwargs["locale"] == "fr-FR" and kwargs["timezone_id"] == "Africa/Nairobi"
    assert kwargs["service_workers"] == "block"
    assert spec.cookies[0]["sameSite"] == "Lax" and spec.cookies[0]["expires"] == -1
    identity = spec.identity
    assert (identity.proxy_scheme, identity.header_names, identity.cookie_count) == (
        "http",
        ("Authorization",),
        1,
    )
    assert "secret" not in repr(identity) and "pw" not in repr(identity)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RenderOptions(page_timeout=0), "page_timeout must be a positive"),
        (RenderOptions(navigation_timeout=-1), "navigation_timeout must be a positive"),
        (RenderOptions(idle_time=-0.1), "idle_time cannot be negative"),
        (RenderOptions(max_scroll_steps=-1), "max_scroll_steps"),
        (RenderOptions(viewport=Viewport(50, 600)), "viewport"),
        (RenderOptions(headers={"X-Bad:": "x"}), "not a valid HTTP header"),
        (RenderOptions(headers={"X-Split": "a\r\nInjected: b"}), "not a valid HTTP header"),
        (RenderOptions(user_agent="two\nlines"), "one non-empty line"),
        (RenderOptions(cookies=[BrowserCookie("", "v", "x.example")]), "name and a domain"),
    ],
)
def test_bad_options_are_refused(options: RenderOptions, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        prepare(options)
