"""Verification of a case: every object, entry, signature, key and trusted timestamp.

The checks are public so that an exported package (``cybercase.report.verify``) is
verified by the same code as a live case; the names below are what other layers use.
"""

from cybercase.evidence.verify.case import record_verification, verify_case
from cybercase.evidence.verify.findings import CheckResult, Finding, VerificationReport
from cybercase.evidence.verify.objects import referenced_objects
from cybercase.evidence.verify.trust import trusted_keys_setting

__all__ = [
    "CheckResult",
    "Finding",
    "VerificationReport",
    "record_verification",
    "referenced_objects",
    "trusted_keys_setting",
    "verify_case",
]
