"""A web capture: what was asked for and served, when, from where, over which TLS, seen how.

The facts come from the capture's ``record.json``, read through the capture layer's own
model (:mod:`cybercase.report.sections.capture_view`), never by guessing at field names. URLs
found in evidence are shown as text, never as links, and GPS positions as numbers,
never as links to an online map: opening the report must not reach out to anything.
"""

from __future__ import annotations

from cybercase.report.sections.generic import base_data
from cybercase.report.sections.interface import ItemContext, Section

CAPTURE_ROLES = frozenset({"warc", "record", "screenshot", "dom", "pdf", "mhtml"})


class CaptureSection:
    """An item captured from the web (it has a record, a WARC or a browser file)."""

    name = "capture"

    def matches(self, item: ItemContext) -> bool:
        """Any item with one of the capture roles."""
        return any(f.role in CAPTURE_ROLES for f in item.plan.files)

    def render(self, item: ItemContext) -> Section:
        """The capture's facts from its record, then the common data."""
        # Imported here: the capture model pulls in the collect layer, which
        # 'cybercase verify PACKAGE' does not need.
        from cybercase.report.sections.capture_view import capture_view

        view = capture_view(item.plan, item.read_file, item.entries)
        data = base_data(item)
        shown = view.shown_files
        data["images"] = [f for f in data["images"] if f.path not in shown]
        data["details"] = []  # the capture's facts are shown in full below
        data["capture"] = view
        return Section("capture.html.j2", view.title, data)
