"""The case on disk: object store, custody log, keys, timestamps and verification.

This layer knows nothing of how evidence was collected; ``collect``, ``request`` and
``report`` build on it. The names below are its public surface.
"""

from cybercase.evidence.case import Case, Transaction
from cybercase.evidence.keys.identity import PublicIdentity, Signer
from cybercase.evidence.keys.keyring import KeyRing
from cybercase.evidence.locate import locate_case
from cybercase.evidence.log.entry import CustodyEntry, EntryDraft
from cybercase.evidence.log.state import CaseState, ItemView
from cybercase.evidence.models import Actor, Artifact, CaseMeta

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
