"""``case.jsonld``: the case described in CASE/UCO terms, for tools that read linked data."""

from cybercase.report.jsonld.document import render_jsonld

__all__ = ["render_jsonld"]
