"""Links to seller or account pages: who a listing names as its seller.

Kept apart from :mod:`.identifiers` (which reads items and builds request targets) so a
watch run, comparing the seller of thousands of captures, needs nothing else of this layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

# Path segments that mark a link to a seller's or a user's page on most marketplaces.
_ACCOUNT_PATH = re.compile(
    r"/(?:user|users|seller|sellers|profile|profiles|member|members|shop|shops|store|"
    r"stores|people|vendor|vendors|account|accounts|u|usr|s-user)/[^/?#]+",
    re.IGNORECASE,
)
_ACCOUNT_QUERY = re.compile(r"[?&](?:seller|seller_id|user|user_id|uid|member|sid)=[^&#]+", re.I)


def site_of(url: str) -> str:
    """The host without ``www.``, ``m.`` or ``mobile.``: one site however it is reached."""
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def account_links(
    links: Iterable[str], page_url: str | None, patterns: Sequence[str] = ()
) -> list[str]:
    """Links to seller or account pages on the same site as the captured page.

    ``patterns`` are the platform's own regular expressions (from the directory); the
    generic ones recognise ``/user/NAME``, ``/seller/NAME``, ``?seller_id=...`` and the like.
    """
    compiled = [re.compile(p) for p in patterns]
    site = site_of(page_url) if page_url else None
    found: list[str] = []
    for link in links:
        if site is not None and site_of(link) != site:
            continue
        if link == page_url:
            continue
        parts = urlsplit(link)
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        generic = bool(_ACCOUNT_PATH.search(parts.path) or _ACCOUNT_QUERY.search(tail))
        specific = any(p.search(link) for p in compiled)
        if (generic or specific) and link not in found:
            found.append(link)
    return found
