"""The stored form of an item's analysis: ``derived/analysis/<ITEM>.json``, format 1.

Frozen pydantic models, written with sorted keys and no clock, so that analysing the same
item with the same lexicon and region writes the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ANALYSIS_FORMAT = "cybercase-analysis/1"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextPart(_Model):
    """The text read from one artifact."""

    artifact: str
    """The artifact's name in the item (``rendered.html``, ``text.txt``, ``notes.txt``)."""
    sha256: str
    """``sha256:<hex>`` of the artifact read."""
    text: str
    """The text, as offsets count it."""
    truncated: bool = False
    """Whether only the first :data:`MAX_TEXT_BYTES` were read."""


class EntityRecord(_Model):
    """An entity and where it was found."""

    kind: str
    value: str
    text: str
    artifact: str
    offset: int
    note: str | None = None


class HitRecord(_Model):
    """A lexicon hit and where it was found."""

    term: str
    matched: str
    artifact: str
    offset: int
    lang: str
    kind: str
    species: list[str]
    cites: list[str]
    source: str
    lexicon: str


class ImageRecord(_Model):
    """The hashes of one image, or why it has none."""

    artifact: str
    sha256: str
    """``sha256:<hex>`` of the image's bytes."""
    phash: str | None = None
    pdq: str | None = None
    algorithm: str | None = None
    width: int | None = None
    height: int | None = None
    not_hashed: str | None = None
    """Why there is no perceptual hash (bomb, truncated, not an image)."""
    url: str | None = None
    """Where the capture fetched it."""
    camera: str | None = None
    serial: str | None = None
    gps: tuple[float, float] | None = None
    """EXIF latitude, longitude (signed decimal degrees)."""

    def columns(self) -> tuple[str | int | float | None, ...]:
        """The index's image columns, in table order (the local and the shared index)."""
        return (
            self.artifact,
            self.sha256,
            self.phash,
            self.algorithm,
            self.width,
            self.height,
            self.not_hashed,
            self.url,
            self.camera,
            self.serial,
            self.gps[0] if self.gps else None,
            self.gps[1] if self.gps else None,
        )


class ItemAnalysis(_Model):
    """``derived/analysis/<ITEM>.json``: everything analysis found in one item."""

    format: str = ANALYSIS_FORMAT
    case_id: str
    item_id: str
    tool: str
    """The cybercase version that produced it."""
    lexicon: str
    """The lexicon's digest (:attr:`Lexicon.digest`)."""
    region: str | None
    """The default phone region in force."""
    kind: str
    """``capture`` or ``file``."""
    url: str | None = None
    title: str | None = None
    acquired: str
    """When the item was acquired or imported (UTC), from its custody entry."""
    texts: list[TextPart] = Field(default_factory=list)
    entities: list[EntityRecord] = Field(default_factory=list)
    hits: list[HitRecord] = Field(default_factory=list)
    images: list[ImageRecord] = Field(default_factory=list)

    def to_bytes(self) -> bytes:
        """The file as written: compact JSON, keys in model order, UTF-8."""
        return self.model_dump_json().encode("utf-8") + b"\n"

    @property
    def text(self) -> str:
        """All the item's text, artifact after artifact."""
        return "\n".join(part.text for part in self.texts)


def dump_json(analysis: ItemAnalysis) -> dict[str, Any]:
    """An item's analysis for ``--json`` output, without its (long) text."""
    data: dict[str, Any] = json.loads(analysis.model_dump_json(exclude={"texts"}))
    data["texts"] = [
        {"artifact": t.artifact, "sha256": t.sha256, "chars": len(t.text), "truncated": t.truncated}
        for t in analysis.texts
    ]
    return data


__all__ = ["ANALYSIS_FORMAT", "ItemAnalysis"]
