"""The offline HTML report of a package: index, custody log, ``VERIFY.txt`` and leads.

Rendered from templates (autoescaped) over plain data: what is shown of an item comes
from its :mod:`cybercase.report.sections` section.
"""

from cybercase.report.html.render import ReportInputs, render_custody, render_index

__all__ = ["ReportInputs", "render_custody", "render_index"]
