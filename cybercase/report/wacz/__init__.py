"""WACZ: the captures as one signed, replayable web archive (and its verification).

``write`` builds the WACZ (``index`` reads the WARC records for its index, ``views``
adds the screenshots), ``sign`` signs it as the WACZ signing spec says, ``verify``
checks one, files first, then the signature and its trusted timestamp.
"""

from cybercase.report.wacz.verify import is_wacz, verify_wacz
from cybercase.report.wacz.write import WaczResult, export_wacz, write_wacz

__all__ = ["WaczResult", "export_wacz", "is_wacz", "verify_wacz", "write_wacz"]
