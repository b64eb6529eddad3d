"""Verifying an exported package (a folder or its zip) as strictly as a live case.

``unzip`` unpacks a zip safely, ``bag`` checks the BagIt layer and serves the package's
files as objects, ``statement`` checks the signed export statement; ``package`` runs the
case checks of :mod:`cybercase.evidence.verify` over them.
"""

from cybercase.report.verify.package import is_package, verify_package

__all__ = ["is_package", "verify_package"]
