"""Trusted timestamps (RFC 3161): asking authorities, recording tokens, sealing the log.

``tsa_client`` asks the configured authorities, ``tokens`` reads and verifies what they
send, ``grant`` records tokens over items and seals of the custody log. Checking them
again later is :mod:`cybercase.evidence.verify`'s job.
"""

from cybercase.evidence.timestamps.exports import token_exports
from cybercase.evidence.timestamps.grant import (
    add_files,
    pending_items,
    seal,
    timestamp_items,
    timestamp_new_items,
    timestamp_pending,
)
from cybercase.evidence.timestamps.records import TimestampOutcome
from cybercase.evidence.timestamps.tsa_client import TsaClient, TsaSettings

__all__ = [
    "TimestampOutcome",
    "TsaClient",
    "TsaSettings",
    "add_files",
    "pending_items",
    "seal",
    "timestamp_items",
    "timestamp_new_items",
    "timestamp_pending",
    "token_exports",
]
