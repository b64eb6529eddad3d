"""Capture settings: the ``[capture]`` table of the configuration, overridden by the CLI.

Every limit has a sane default and a flag. The settings in force are copied into each
capture record, so a court can see under which limits (and with which identity: user
agent, proxy) a page was fetched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cybercase.errors import InvalidInputError
from cybercase.settings import invalid_setting, load_config, section

MIB = 1024 * 1024
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
PROXY_SCHEMES = ("http", "socks5", "socks5h")


class CaptureSettings(BaseModel):
    """How pages are fetched; defaults, then ``[capture]`` in config.toml, then flags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = DEFAULT_USER_AGENT
    """The User-Agent header sent (an ordinary browser's by default, to blend in)."""
    proxy: str | None = None
    """``http://host:port``, ``socks5://host:port`` or ``socks5h://`` (names resolved by the
    proxy, e.g. Tor at ``socks5h://127.0.0.1:9050``)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers, sent with every request. Their values are secret (withheld
    from the evidence, keyed hash kept) unless named in :attr:`keep_headers`."""
    keep_headers: list[str] = Field(default_factory=list)
    """Extra headers safe to keep verbatim in the evidence (e.g. ``Accept-Language``)."""
    cookies_file: Path | None = None
    """A Netscape ``cookies.txt`` (a logged-in session), sent to matching hosts."""
    ca_bundle: Path | None = None
    """Extra trusted CA certificates (PEM), e.g. an agency's inspection proxy."""
    connect_timeout: float = Field(10.0, gt=0)
    """Seconds to open a connection (each hop)."""
    read_timeout: float = Field(30.0, gt=0)
    """Seconds without receiving any byte before giving up."""
    total_timeout: float = Field(120.0, gt=0)
    """Seconds for one attempt at one URL, redirects included (stops trickling servers)."""
    max_body_bytes: int = Field(256 * MIB, gt=0)
    """Bodies are streamed to disk and cut at this size; the truncation is recorded."""
    max_redirects: int = Field(10, ge=0)
    """Redirects followed before giving up; a loop is named as such."""
    insecure: bool = False
    """Capture even when the TLS certificate does not verify (the failure is recorded)."""
    keep_secrets: bool = False
    """Keep every secret value sent (cookies, Authorization, extra headers) verbatim."""
    images: bool = True
    """Also fetch the page's images (and read their EXIF)."""
    max_images: int = Field(50, ge=0)
    """At most this many images per page."""
    max_image_bytes: int = Field(32 * MIB, gt=0)
    """Each image is cut at this size."""
    max_text_bytes: int = Field(16 * MIB, gt=0)
    """Only this much of a page is decoded to extract its title, links and text."""
    jobs: int = Field(4, ge=1, le=64)
    """URLs captured at the same time in a batch."""
    per_host: int = Field(2, ge=1, le=64)
    """At most this many captures of the same host at once."""
    host_delay: float = Field(0.0, ge=0)
    """Seconds between the starts of two captures of the same host."""
    retries: int = Field(2, ge=0, le=10)
    """Further attempts after a transient failure (timeout, reset, 429, 502-504)."""
    backoff: float = Field(1.0, ge=0)
    """Seconds before the first retry, doubled each time (Retry-After is honoured)."""
    ntp_server: str | None = None
    """An NTP server to measure the clock's offset against (none: "not checked")."""
    egress_lookup_url: str | None = None
    """A URL answering with the public IP address seen by servers (none: not looked up)."""

    @field_validator("proxy")
    @classmethod
    def _check_proxy(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in PROXY_SCHEMES or not rest:
            raise ValueError(
                "a proxy is written http://host:port, socks5://host:port or socks5h://host:port"
            )
        return value

    @field_validator("keep_headers")
    @classmethod
    def _check_kept(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name or any(c in name for c in " :\r\n\t"):
                raise ValueError(f"invalid header name {name!r}")
            if name.lower() in ("cookie", "authorization", "proxy-authorization"):
                raise ValueError(
                    f"{name} is always withheld; --keep-secrets keeps it (and every other secret)"
                )
        return value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or any(c in name for c in " :\r\n\t") or any(c in text for c in "\r\n"):
                raise ValueError(f"invalid header {name!r}")
        return value


def parse_header(text: str) -> tuple[str, str]:
    """``Name: value`` from the command line."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise InvalidInputError(
            f"not a header: {text!r}", hint="write it as 'Name: value', e.g. 'Accept-Language: fr'"
        )
    return name.strip(), value.strip()


def load_capture_settings(
    config_file: Path | None = None, overrides: dict[str, Any] | None = None
) -> CaptureSettings:
    """The settings in force: defaults, the ``[capture]`` table, then non-None overrides."""
    table = dict(section(load_config(config_file), "capture"))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key == "headers":
            merged = dict(table.get("headers", {}))
            merged.update(value)
            table[key] = merged
        elif key == "keep_headers":
            table[key] = [*table.get("keep_headers", []), *value]
        else:
            table[key] = value
    try:
        return CaptureSettings.model_validate(table)
    except ValidationError as exc:
        raise invalid_setting(
            exc,
            "capture setting",
            hint="check the [capture] table of your configuration and the flags given",
        ) from exc
