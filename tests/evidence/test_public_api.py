"""Each package of the evidence layer exposes a deliberate, small API (``__all__``).

Other layers import from these packages, not from the modules inside them, so a module
can be split or moved without touching them; a name added here is a decision.
"""

from __future__ import annotations

import importlib

import pytest

API = {
    "cybercase.evidence.log": [
        "CaseState",
        "CustodyEntry",
        "EntryDraft",
        "ItemView",
        "artifacts_of",
        "canonical_json",
    ],
    "cybercase.evidence.keys": [
        "KeyRing",
        "PublicIdentity",
        "Signer",
        "fingerprint_of",
        "verify_signature",
    ],
    "cybercase.evidence.timestamps": [
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
    ],
    "cybercase.evidence.verify": [
        "CheckResult",
        "Finding",
        "VerificationReport",
        "record_verification",
        "referenced_objects",
        "trusted_keys_setting",
        "verify_case",
    ],
}


@pytest.mark.parametrize("package", sorted(API))
def test_the_public_names_are_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == API[package]
    for name in module.__all__:
        assert getattr(module, name) is not None
