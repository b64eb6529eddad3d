"""The investigator's ``--cookies`` file, read one way for the raw fetch and the browser.

A capture sends the same cookies twice: once with the raw fetch (the WARC) and once
with the browser (what a person saw). Both read the file here, so the two views come
from one identity: the same cookies kept, the same ones left out, the same error for a
file that cannot be used.

The rules: the file is a Netscape ``cookies.txt`` (as curl and browser extensions write
it); a file in another format, or with a line that is not a cookie, is refused whole
(a half-read login would capture a half-logged-in page); a cookie with no expiry or an
expiry of ``0`` (what many exporters write for a session cookie) is a session cookie
and is kept; a cookie whose expiry has passed is left out, as a browser would. Error
messages name the file but never quote its lines, which hold secrets.
"""

from __future__ import annotations

import http.cookiejar
import time
import warnings
from pathlib import Path

from cybercase.errors import InvalidInputError


def load_cookies_txt(path: Path, *, now: float | None = None) -> list[http.cookiejar.Cookie]:
    """The usable cookies of a Netscape ``cookies.txt``, in file order.

    ``now`` (seconds since the epoch) decides which cookies have expired; the current
    time by default. Session cookies come back with ``expires`` set to ``None``.
    """
    jar = http.cookiejar.MozillaCookieJar()
    try:
        with warnings.catch_warnings():
            # The standard parser warns ("http.cookiejar bug!") before raising LoadError.
            warnings.simplefilter("ignore")
            jar.load(str(path), ignore_discard=True, ignore_expires=True)
    except (http.cookiejar.LoadError, ValueError) as exc:
        raise InvalidInputError(
            f"{path} is not a Netscape cookies.txt file",
            hint="export the cookies in Netscape format: the first line reads "
            "'# Netscape HTTP Cookie File'",
        ) from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read cookie file {path}: {exc.strerror}") from exc
    moment = time.time() if now is None else now
    kept: list[http.cookiejar.Cookie] = []
    for cookie in jar:
        if not cookie.expires:
            # Many exporters write 0 for a session cookie; the standard library reads it
            # as "expired in 1970". Only a real past date has expired.
            cookie.expires = None
        elif cookie.expires < moment:
            continue
        kept.append(cookie)
    return kept
