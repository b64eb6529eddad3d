"""The addresses a capture accepts: http or https, with a host and a valid port.

Every way in (the command line, a URL list, a queue, a watchlist) checks its URLs here
before anything is fetched, so a bad address is a usage error and never an item.
"""

from __future__ import annotations

import functools

import httpx

from cybercase.collect.redact import mask_credentials
from cybercase.errors import InvalidInputError

MAX_PORT = 65535


@functools.lru_cache(maxsize=8192)
def check_url(text: str) -> str:
    """A URL the capture can fetch (http or https, with a host); else a usage error.

    Remembered (a pure function of the text; an error is raised again, never cached): a
    batch checks each URL when the list is read, when the batch starts and when its
    capture starts, and parsing a URL costs more than the rest of that bookkeeping.
    """
    value = text.strip()
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        shown = mask_credentials(value)
        raise InvalidInputError(
            f"not a valid URL: {shown!r} ({mask_credentials(str(exc))})"
        ) from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError(
            f"not an http(s) URL: {mask_credentials(value)!r}",
            hint="only http:// and https:// addresses can be captured",
        )
    if url.port is not None and not 1 <= url.port <= MAX_PORT:
        raise InvalidInputError(
            f"not a valid URL: {value!r} (port {url.port} is not between 1 and {MAX_PORT})"
        )
    return str(url)
