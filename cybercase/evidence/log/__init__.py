"""The custody log: one signed, hash-chained entry per line, and what it adds up to.

``entry`` is one entry and its canonical form, ``jsonl`` the file on disk (scanning,
appending, the signed head and seal copies), ``state`` the case as the entries fold
into it. Most code needs only the names below; the modules hold the rest.
"""

from cybercase.evidence.log.entry import CustodyEntry, EntryDraft, canonical_json
from cybercase.evidence.log.state import CaseState, ItemView, artifacts_of

__all__ = ["CaseState", "CustodyEntry", "EntryDraft", "ItemView", "artifacts_of", "canonical_json"]
