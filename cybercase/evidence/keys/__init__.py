"""Keys: the investigators' signing keys, and the redaction key that hides secrets.

``keyring`` keeps Ed25519 key pairs in the user's config folder (passphrase-protected);
``redaction`` keeps the HMAC key under which withheld secrets are recorded.
"""

from cybercase.evidence.keys.identity import (
    PublicIdentity,
    Signer,
    fingerprint_of,
    verify_signature,
)
from cybercase.evidence.keys.keyring import KeyRing

__all__ = ["KeyRing", "PublicIdentity", "Signer", "fingerprint_of", "verify_signature"]
