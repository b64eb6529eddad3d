"""The identity and limits a page is rendered with, checked before any page is opened.

The browser view must come from the same identity as the raw fetch (issue 3 uses the
same field names for httpx: ``user_agent``, ``proxy``, ``headers``, ``cookies_file``),
otherwise a site that varies its content by client could show the browser something
other than what the WARC holds. Everything here is validated when a page is
submitted, so a bad proxy address or cookie file is one clear error at once rather
than a warning on every page of a batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from cybercase.collect.cookies import load_cookies_txt
from cybercase.errors import InvalidInputError

if TYPE_CHECKING:
    # Playwright exports the type it takes for cookies only from this module.
    from playwright._impl._api_structures import SetCookieParam
    from playwright.async_api import ProxySettings

    from cybercase.collect.browser.feed import FeedOptions
    from cybercase.collect.browser.recording import TrafficSettings
    from cybercase.collect.redact import Credentials

PROXY_SCHEMES = {"http": "http", "https": "https", "socks5": "socks5", "socks5h": "socks5"}


@dataclass(frozen=True, slots=True)
class Viewport:
    """The browser window size in CSS pixels (one device pixel each)."""

    width: int = 1280
    height: int = 800


@dataclass(frozen=True, slots=True)
class Caption:
    """What the caption band of an annotated screenshot says (drawn by ``annotate``)."""

    url: str
    utc_time: datetime
    case_id: str
    item_id: str
    investigator: str


@dataclass(frozen=True, slots=True)
class BrowserCookie:
    """One cookie to send, e.g. from a logged-in session of the investigator's persona."""

    name: str
    value: str
    domain: str
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    expires: float | None = None
    same_site: Literal["Strict", "Lax", "None"] | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How to render one page: the identity presented to the site, and the time limits.

    Timeouts are in seconds. ``navigation_timeout`` caps waiting for the page to load,
    ``settle_timeout`` caps each wait for the network to fall quiet (before and after
    scrolling), and ``page_timeout`` is the hard limit after which the page is
    abandoned with whatever it produced.
    """

    user_agent: str | None = None
    proxy: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies_file: Path | None = None
    cookies: Sequence[BrowserCookie] = ()
    viewport: Viewport = field(default_factory=Viewport)
    insecure: bool = False
    locale: str | None = None
    timezone: str | None = None
    navigation_timeout: float = 30.0
    settle_timeout: float = 10.0
    idle_time: float = 0.5
    page_timeout: float = 90.0
    scroll: bool = True
    max_scroll_steps: int = 40
    caption: Caption | None = None
    record_traffic: bool = False
    """Route the page through the recording proxy: every request and response as raw HTTP
    (``RenderResult.traffic``), the site's certificate checked with certifi plus
    ``ca_bundle``. Captures turn it on; a plain render leaves it off."""
    ca_bundle: Path | None = None
    """Extra trusted roots (PEM) for the sites' certificates; needs ``record_traffic``."""
    keep_secrets: bool = False
    """Keep Cookie/Authorization values in the recorded requests (else their hash only)."""
    keep_headers: tuple[str, ...] = ()
    """Extra headers (``headers``) whose values may be recorded; every other is withheld."""
    max_body_bytes: int = 256 * 1024 * 1024
    """Bytes of one recorded response body (the browser still gets all of it)."""
    credentials: Credentials | None = None
    """A user name and password split off the page's URL: sent (HTTP Basic) to their
    origin only; the URL the browser opens, and so every URL it records, has none."""
    feed: FeedOptions | None = None
    """Load the page as a feed (scroll until it stops growing, click "load more") instead
    of the plain scroll; the steps are in the result's ``feed``."""


@dataclass(frozen=True, slots=True)
class Identity:
    """What can be said in a record about the identity used, without its secrets."""

    user_agent: str | None
    proxy_scheme: str | None
    header_names: tuple[str, ...]
    cookie_count: int
    url_credentials: bool = False


@dataclass(frozen=True)
class ContextSpec:
    """Validated options, in the form Playwright takes them."""

    options: RenderOptions
    context_kwargs: dict[str, Any]
    cookies: list[SetCookieParam]
    identity: Identity
    traffic: TrafficSettings | None = None
    """How the recording proxy reaches sites, when the traffic is recorded."""


def prepare(options: RenderOptions) -> ContextSpec:
    """Check ``options`` and translate them for a Playwright browser context.

    Raises :class:`InvalidInputError` for anything that would fail on every page.
    """
    _check_limits(options)
    headers = _check_headers(options.headers)
    kwargs: dict[str, Any] = {
        "viewport": {"width": options.viewport.width, "height": options.viewport.height},
        "device_scale_factor": 1,
        "extra_http_headers": headers,
        "ignore_https_errors": options.insecure,
        "accept_downloads": False,
        # A service worker answers requests the page's request events never see.
        "service_workers": "block",
    }
    if options.user_agent is not None:
        if not options.user_agent.strip() or _has_line_break(options.user_agent):
            raise InvalidInputError("the user agent must be one non-empty line")
        kwargs["user_agent"] = options.user_agent
    if options.locale is not None:
        kwargs["locale"] = options.locale
    if options.timezone is not None:
        kwargs["timezone_id"] = options.timezone
    scheme = None
    if options.proxy is not None:
        proxy = parse_proxy(options.proxy)
        kwargs["proxy"] = proxy
        scheme = urlsplit(proxy["server"]).scheme
    traffic = _traffic_settings(options, kwargs)
    if options.credentials is not None:
        kwargs["http_credentials"] = {
            "username": options.credentials.username,
            "password": options.credentials.password,
            "origin": _web_origin(options.credentials.origin),
            "send": "always",
        }
    cookies = [*map(_to_playwright, options.cookies)]
    if options.cookies_file is not None:
        cookies.extend(map(_to_playwright, load_cookies_file(options.cookies_file)))
    identity = Identity(
        user_agent=options.user_agent,
        proxy_scheme=scheme,
        header_names=tuple(sorted(headers)),
        cookie_count=len(cookies),
        url_credentials=options.credentials is not None,
    )
    return ContextSpec(
        options=options, context_kwargs=kwargs, cookies=cookies, identity=identity, traffic=traffic
    )


def _traffic_settings(options: RenderOptions, kwargs: dict[str, Any]) -> TrafficSettings | None:
    """The recording proxy's settings; the browser then talks to that proxy only.

    The investigator's own proxy moves behind the recording proxy, and the browser accepts
    the recording proxy's certificates (it never talks to anything else); the sites'
    certificates are verified by the proxy, with the capture's trust.
    """
    if not options.record_traffic:
        if options.ca_bundle is not None:
            raise InvalidInputError(
                "a CA bundle reaches the browser only through the recording proxy",
                hint="render with record_traffic=True (as captures do)",
            )
        return None
    from cybercase.collect.browser.recording import TrafficSettings

    if options.ca_bundle is not None and not options.ca_bundle.is_file():
        raise InvalidInputError(f"the CA bundle {options.ca_bundle} is not a file")
    if options.max_body_bytes <= 0:
        raise InvalidInputError("max_body_bytes must be positive")
    kwargs.pop("proxy", None)
    kwargs["ignore_https_errors"] = True
    return TrafficSettings(
        proxy=options.proxy,
        ca_bundle=options.ca_bundle,
        insecure=options.insecure,
        keep_secrets=options.keep_secrets,
        secret_headers=_withheld_names(options.headers, options.keep_headers),
        max_body_bytes=options.max_body_bytes,
        connect_timeout=min(10.0, options.navigation_timeout),
        read_timeout=options.navigation_timeout,
        total_timeout=options.page_timeout,
    )


def _withheld_names(headers: Mapping[str, str], kept: Sequence[str]) -> tuple[str, ...]:
    """The user's extra headers the recorded requests withhold (all but those kept)."""
    from cybercase.collect.redact import Redactor

    return tuple(sorted(Redactor.for_headers(headers, kept).secret_names))


def parse_proxy(url: str) -> ProxySettings:
    """``http://user:pass@host:port`` or ``socks5://host:port`` as Playwright's proxy setting.

    Chromium sends host names to a SOCKS5 proxy for resolution (no local DNS lookup),
    so ``socks5h://`` means the same as ``socks5://``. Chromium cannot authenticate to
    a SOCKS5 proxy; credentials there would be silently dropped, so they are refused.
    """
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError:
        hostname = None
    scheme = PROXY_SCHEMES.get(parts.scheme.lower()) if hostname else None
    if scheme is None or not hostname:
        raise InvalidInputError(
            f"not a proxy address: {_without_credentials(url)!r}",
            hint="write it like http://127.0.0.1:8080 or socks5://127.0.0.1:9050",
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"the proxy port is not a number: {parts.netloc!r}") from exc
    host = f"[{hostname}]" if ":" in hostname else hostname
    server = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    settings: ProxySettings = {"server": server}
    if parts.username is not None:
        if scheme == "socks5":
            raise InvalidInputError(
                "Chromium cannot log in to a SOCKS5 proxy",
                hint="use a SOCKS5 proxy without a password (such as Tor), or an HTTP proxy",
            )
        settings["username"] = unquote(parts.username)
        settings["password"] = unquote(parts.password or "")
    return settings


def load_cookies_file(path: Path) -> list[BrowserCookie]:
    """The cookies of a Netscape ``cookies.txt`` file, for the browser.

    Read by :func:`~cybercase.collect.cookies.load_cookies_txt`, as the raw fetch reads
    the same file: session cookies kept, expired ones left out, one error for a file
    that cannot be used.
    """
    cookies = []
    for cookie in load_cookies_txt(path):
        expires = float(cookie.expires) if cookie.expires is not None else None
        cookies.append(
            BrowserCookie(
                name=cookie.name,
                value=cookie.value or "",
                domain=cookie.domain,
                path=cookie.path or "/",
                secure=cookie.secure,
                http_only=any(
                    cookie.has_nonstandard_attr(flag) for flag in ("HTTPOnly", "HttpOnly")
                ),
                expires=expires,
            )
        )
    return cookies


def _to_playwright(cookie: BrowserCookie) -> SetCookieParam:
    if not cookie.name or not cookie.domain:
        raise InvalidInputError("a cookie needs a name and a domain")
    param: SetCookieParam = {
        "name": cookie.name,
        "value": cookie.value,
        "domain": cookie.domain,
        "path": cookie.path,
        "secure": cookie.secure,
        "httpOnly": cookie.http_only,
        "expires": cookie.expires if cookie.expires is not None else -1,
    }
    if cookie.same_site is not None:
        param["sameSite"] = cookie.same_site
    return param


def _check_limits(options: RenderOptions) -> None:
    for name in ("navigation_timeout", "settle_timeout", "page_timeout"):
        value = getattr(options, name)
        if not value > 0:
            raise InvalidInputError(f"{name} must be a positive number of seconds, not {value}")
    if options.idle_time < 0:
        raise InvalidInputError("idle_time cannot be negative")
    if options.max_scroll_steps < 0:
        raise InvalidInputError("max_scroll_steps cannot be negative")
    if not (100 <= options.viewport.width <= 8192 and 100 <= options.viewport.height <= 8192):
        raise InvalidInputError("the viewport must be between 100 and 8192 pixels each way")


def _check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not name or _has_line_break(name) or ":" in name or _has_line_break(value):
            raise InvalidInputError(
                f"not a valid HTTP header: {name!r}",
                hint="a header is a name without ':' and a value on one line",
            )
        checked[name] = value
    return checked


def _web_origin(origin: str) -> str:
    """``scheme://host[:port]`` as browsers write an origin (no default port)."""
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if origin.startswith(f"{scheme}://") and origin.endswith(port):
            return origin.removesuffix(port)
    return origin


def _has_line_break(text: str) -> bool:
    return "\r" in text or "\n" in text


def _without_credentials(url: str) -> str:
    """``url`` with anything between the scheme and an ``@`` masked."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if not sep or not at:
        return url
    return f"{scheme}://***@{hostpart}" if userinfo else url
