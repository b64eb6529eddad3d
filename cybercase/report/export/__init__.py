"""Exporting a case as a BagIt package anyone can verify without cybercase.

``package`` orchestrates (verify the case, build in a staging folder, rename, log the
export), ``files`` writes the package's own files, ``leftovers`` cleans what an
interrupted export left.
"""

from cybercase.report.export.package import ExportResult, export_case

__all__ = ["ExportResult", "export_case"]
