"""Small builders shared by the parts of ``case.jsonld``: identifiers and typed literals.

Identifiers are UUIDs derived from the case and from what a node describes, so exporting
the same case twice gives the same graph, and two parts of the exporter that describe the
same thing (a URL, a camera) name the same node.
"""

from __future__ import annotations

import uuid
from typing import Any


class Ids:
    """Deterministic node identifiers, ``kb:<Kind>-<uuid5>``, within one case."""

    def __init__(self, case_id: str) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:cybercase:case:{case_id}")

    def __call__(self, kind: str, *parts: object) -> str:
        """The identifier of the ``kind`` node named by ``parts``."""
        key = "/".join(str(p) for p in (kind, *parts))
        return f"kb:{kind}-{uuid.uuid5(self._namespace, key)}"


def time_value(value: str) -> dict[str, str]:
    """An ``xsd:dateTime`` literal."""
    return {"@type": "xsd:dateTime", "@value": value}


def integer(value: int) -> dict[str, Any]:
    """An ``xsd:integer`` literal."""
    return {"@type": "xsd:integer", "@value": value}


def decimal_value(value: float) -> dict[str, str]:
    """An ``xsd:decimal`` literal (written without exponent)."""
    return {"@type": "xsd:decimal", "@value": format(value, "f").rstrip("0").rstrip(".") or "0"}


def ref(node_id: str) -> dict[str, str]:
    """A reference to another node."""
    return {"@id": node_id}


def sha256_hash(node_id: str, digest: str) -> dict[str, Any]:
    """A ``uco-types:Hash`` of a ``sha256:<hex>`` (or bare hex) digest."""
    return {
        "@id": node_id,
        "@type": "uco-types:Hash",
        "uco-types:hashMethod": "SHA256",
        "uco-types:hashValue": {
            "@type": "xsd:hexBinary",
            "@value": digest.removeprefix("sha256:"),
        },
    }
