"""Investigate: entities, lexicon hits, perceptual hashes, leads and the search index.

Everything here is derived from the evidence and can be rebuilt from the cases at any time;
nothing here changes a committed artifact.

Each name is imported from its module on first use, so importing one module of this package
(a watch run needs only a few helpers) does not load the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cybercase.lazy import lazy_names

if TYPE_CHECKING:
    from cybercase.investigate.analysis import (
        AnalysisSettings,
        analyze_case,
        item_analysis,
        logged_analyses,
    )
    from cybercase.investigate.index import build_index, refresh_index
    from cybercase.investigate.leads import Lead, find_leads
    from cybercase.investigate.records import ItemAnalysis
    from cybercase.investigate.registry import Registry
    from cybercase.investigate.search import SearchHit, SearchResult, search

_HOMES = {
    "AnalysisSettings": "cybercase.investigate.analysis",
    "ItemAnalysis": "cybercase.investigate.records",
    "Lead": "cybercase.investigate.leads",
    "Registry": "cybercase.investigate.registry",
    "SearchHit": "cybercase.investigate.search",
    "SearchResult": "cybercase.investigate.search",
    "analyze_case": "cybercase.investigate.analysis",
    "build_index": "cybercase.investigate.index",
    "find_leads": "cybercase.investigate.leads",
    "item_analysis": "cybercase.investigate.analysis",
    "logged_analyses": "cybercase.investigate.analysis",
    "refresh_index": "cybercase.investigate.index",
    "search": "cybercase.investigate.search",
}
"""Where each public name is defined: imported only when first asked for."""

__all__ = [
    "AnalysisSettings",
    "ItemAnalysis",
    "Lead",
    "Registry",
    "SearchHit",
    "SearchResult",
    "analyze_case",
    "build_index",
    "find_leads",
    "item_analysis",
    "logged_analyses",
    "refresh_index",
    "search",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES, __all__)
