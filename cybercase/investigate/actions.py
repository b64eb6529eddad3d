"""The investigate layer's custody-log vocabulary: ``analysis.ran``.

One entry per analysis run names the items analysed and what the run used (cybercase
version, lexicon digest and files, default region), and the SHA-256 of each item's
result file, so that anyone can re-run it and compare. The model writes exactly the
dict earlier versions built by hand, ``null`` values included (``default_region`` is
``null`` when none is configured).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cybercase.evidence.details import Detail, action


class LexiconUsed(BaseModel):
    """One lexicon file a run used: its file name, the lexicon's name and version."""

    name: str
    lexicon: str
    version: str


class AnalysisRanDetail(Detail):
    """``analysis.ran``: what one analysis run used and produced."""

    tool: str
    lexicon: str
    """The digest of every lexicon file together."""
    lexicons: list[LexiconUsed]
    default_region: str | None
    derived: str
    """Where the result files are (``derived/analysis``), relative to the case."""
    results: dict[str, str]
    """Each item's result file, item id to ``sha256:``."""
    summary: dict[str, int]
    result: str
    """The run in one line, for people reading the log."""

    def to_detail(self) -> dict[str, Any]:
        """Every field, ``null`` ones too, as the hand-built detail had them."""
        return self.model_dump(mode="json")


ANALYSIS_RAN = action("analysis.ran", AnalysisRanDetail, "investigate")
