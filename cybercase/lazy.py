"""Public names of a package imported from their modules on first use (PEP 562).

A package's ``__init__`` lists its public surface; importing it must stay cheap, so the
CLI's ``--help`` and a module that needs one small piece never pay for the heavy modules
(httpx, warcio, Playwright) behind the rest. The package maps each name to the module
that defines it and installs the two hooks this module builds.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence


def lazy_names(
    package: str, homes: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, resolving ``homes`` lazily."""
    namespace = vars(sys.modules[package])

    def attribute(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def listing() -> list[str]:
        return sorted({*namespace, *public})

    return attribute, listing
