"""One section of the report per item, chosen by what the item is.

A :class:`SectionRenderer` says whether it handles an item (``matches``) and turns it
into a :class:`Section`: a template under ``templates/sections/`` and the plain data it
shows. Renderers are tried in order and the first that matches wins, so a new kind of
item (a capture, a request, a platform's response) slots in by registering one class
and one template, without touching the rest of the report::

    register(MyRenderer())          # tried before the built-in ones
"""

from __future__ import annotations

from cybercase.report.sections.capture import CaptureSection
from cybercase.report.sections.generic import GenericSection
from cybercase.report.sections.interface import ItemContext, Section, SectionRenderer
from cybercase.report.sections.request import RequestSection

_RENDERERS: list[SectionRenderer] = [RequestSection(), CaptureSection(), GenericSection()]


def register(renderer: SectionRenderer) -> None:
    """Add a renderer, tried before those already registered."""
    _RENDERERS.insert(0, renderer)


def renderers() -> tuple[SectionRenderer, ...]:
    """The renderers, in the order they are tried."""
    return tuple(_RENDERERS)


def section_for(item: ItemContext) -> Section:
    """The section of the first renderer that handles ``item``."""
    for renderer in _RENDERERS:
        if renderer.matches(item):
            return renderer.render(item)
    return GenericSection().render(item)


__all__ = [
    "CaptureSection",
    "GenericSection",
    "ItemContext",
    "RequestSection",
    "Section",
    "SectionRenderer",
    "register",
    "renderers",
    "section_for",
]
