"""The report layer: export a case as a package anyone can verify, and verify one.

``export_case`` writes a BagIt bag laid out by the three stages (collecting,
requesting, preserving) plus custody, with an offline HTML report, a CASE/UCO
description, a signed export statement and a standalone checker; ``verify_package``
checks such a package (folder or zip) as strictly as a live case.
"""

from cybercase.report.export.package import ExportResult, export_case
from cybercase.report.verify.package import is_package, verify_package

__all__ = ["ExportResult", "export_case", "is_package", "verify_package"]
