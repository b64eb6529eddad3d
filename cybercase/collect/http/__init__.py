"""Raw HTTP, hop by hop, with every byte and fact recorded (the WARC's side of a capture).

:class:`Fetcher` follows redirects itself and records each hop's request, response,
timings, address, DNS answers (``dns``) and TLS facts (``tls``), through a recording
connection backend (``wire``) and pools shared with the browser's proxy (``upstream``).
Bodies stream into a :class:`Spool`; a failure is named by :func:`classify`
(``failures``); :func:`check_url` (``urls``) is the rule for what can be captured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cybercase.lazy import lazy_names

if TYPE_CHECKING:
    from cybercase.collect.http.failures import Classified, classify
    from cybercase.collect.http.fetch import Fetcher
    from cybercase.collect.http.hops import AttemptResult, FetchResult, WireHop, new_record_id
    from cybercase.collect.http.spool import Spool
    from cybercase.collect.http.urls import check_url

_HOMES = {
    "AttemptResult": "cybercase.collect.http.hops",
    "Classified": "cybercase.collect.http.failures",
    "FetchResult": "cybercase.collect.http.hops",
    "Fetcher": "cybercase.collect.http.fetch",
    "Spool": "cybercase.collect.http.spool",
    "WireHop": "cybercase.collect.http.hops",
    "check_url": "cybercase.collect.http.urls",
    "classify": "cybercase.collect.http.failures",
    "new_record_id": "cybercase.collect.http.hops",
}
"""Where each public name is defined: imported only when first asked for."""

__all__ = [
    "AttemptResult",
    "Classified",
    "FetchResult",
    "Fetcher",
    "Spool",
    "WireHop",
    "check_url",
    "classify",
    "new_record_id",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
