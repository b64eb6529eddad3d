"""The cases a user searches across: a small registry in the user's cybercase folder.

``cybercase cases add DIR`` registers a case folder, or a root folder under which every
case (a folder holding ``case.json`` and ``custody.jsonl``) is found again at each
search, so a case created there later is searched too. The registry is
``<cybercase home>/cases.json`` (see :func:`cybercase.settings.user_home`), beside the
keys and the configuration, never inside a case: registering changes no case.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import InvalidInputError
from cybercase.evidence.fsio import write_bytes_durably

__all__ = ["REGISTRY_NAME", "Registry", "is_case_folder"]

REGISTRY_NAME = "cases.json"
REGISTRY_FORMAT = "cybercase-registry/1"
ROOT_DEPTH = 3
"""How deep under a root folder cases are looked for."""


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = REGISTRY_FORMAT
    cases: list[str] = Field(default_factory=list)
    """Absolute paths of registered case folders."""
    roots: list[str] = Field(default_factory=list)
    """Absolute paths of folders searched for cases."""


def is_case_folder(path: Path) -> bool:
    """Whether ``path`` holds a case."""
    return (path / "case.json").is_file() and (path / "custody.jsonl").exists()


def _cases_under(root: Path, depth: int = ROOT_DEPTH) -> list[Path]:
    found: list[Path] = []
    if depth < 0:
        return found
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return found
    for child in children:
        if is_case_folder(child):
            found.append(child)
        else:
            found.extend(_cases_under(child, depth - 1))
    return found


@dataclass(slots=True)
class Registry:
    """The registered cases and roots."""

    path: Path
    cases: list[Path] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)

    @classmethod
    def load(cls, home: Path) -> Registry:
        """The registry in ``home`` (empty when there is none yet)."""
        path = home / REGISTRY_NAME
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls(path)
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            parsed = _RegistryFile.model_validate_json(data)
        except ValidationError as exc:
            raise InvalidInputError(
                f"{path} is damaged", hint="delete it and register the cases again"
            ) from exc
        return cls(path, [Path(p) for p in parsed.cases], [Path(p) for p in parsed.roots])

    def save(self) -> None:
        """Write the registry durably."""
        body = _RegistryFile(cases=[str(p) for p in self.cases], roots=[str(p) for p in self.roots])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_durably(
            self.path, (json.dumps(body.model_dump(), indent=2) + "\n").encode("utf-8")
        )

    def add(self, folder: Path) -> tuple[str, Path]:
        """Register a case folder (``case``) or a root folder (``root``)."""
        path = Path(os.path.abspath(folder.expanduser()))
        if not path.is_dir():
            raise InvalidInputError(f"{folder} is not a folder")
        if is_case_folder(path):
            if path not in self.cases:
                self.cases.append(path)
            return "case", path
        if path not in self.roots:
            self.roots.append(path)
        return "root", path

    def remove(self, folder: Path) -> bool:
        """Unregister a case or root folder; whether it was registered."""
        path = Path(os.path.abspath(folder.expanduser()))
        before = len(self.cases) + len(self.roots)
        self.cases = [p for p in self.cases if p != path]
        self.roots = [p for p in self.roots if p != path]
        return len(self.cases) + len(self.roots) < before

    def case_folders(self) -> list[Path]:
        """Every case to search: the registered ones, then those found under the roots."""
        seen: dict[Path, None] = {}
        for path in self.cases:
            seen.setdefault(path, None)
        for root in self.roots:
            for path in _cases_under(root):
                seen.setdefault(path, None)
        return list(seen)


def register_folders(home: Path, folders: list[Path]) -> list[tuple[str, Path]]:
    """Register case or root folders (all checked before any is saved)."""
    registry = Registry.load(home)
    added = [registry.add(folder) for folder in folders]
    registry.save()
    return added


def unregister_folder(home: Path, folder: Path) -> bool:
    """Forget a registered case or root folder; whether it was registered."""
    registry = Registry.load(home)
    removed = registry.remove(folder)
    if removed:
        registry.save()
    return removed
