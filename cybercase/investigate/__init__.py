"""Investigate: entities, lexicon hits, perceptual hashes, leads and the search index.

Everything here is derived from the evidence and can be rebuilt from the cases at any time;
nothing here changes a committed artifact.
"""

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
