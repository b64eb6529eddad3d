"""The case on disk: object store, custody log, keys, timestamps and verification.

This layer knows nothing of how evidence was collected; ``collect``, ``request`` and
``report`` build on it. The names below are its public surface.
"""

from cybercase.evidence.case import Case, Transaction, locate_case
from cybercase.evidence.entry import CustodyEntry, EntryDraft
from cybercase.evidence.keys import KeyRing, PublicIdentity, Signer
from cybercase.evidence.models import Actor, Artifact, CaseMeta
from cybercase.evidence.state import CaseState, ItemView

__all__ = [
    "Actor",
    "Artifact",
    "Case",
    "CaseMeta",
    "CaseState",
    "CustodyEntry",
    "EntryDraft",
    "ItemView",
    "KeyRing",
    "PublicIdentity",
    "Signer",
    "Transaction",
    "locate_case",
]
