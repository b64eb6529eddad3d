"""The lexicon: species names and trade terms, each with its source, matched in any script.

A lexicon file is TOML (``lexicon.toml`` beside this module is the one cybercase ships;
docs/investigate.md describes the format). An agency adds its own files through the
configuration (``[investigate] lexicons = ["..."]``); their terms are added to the
shipped ones and may name the shipped species.

Matching is done on a *folded* copy of the text: Unicode NFKD, combining marks dropped
(so ``ivoire`` finds ``IVOIRE`` and ``tortue rayonnee`` finds ``tortue rayonnée``),
case-folded, ``đ`` read as ``d``. Every folded character remembers where it came from, so
a hit's offset and matched text are those of the original. A term written in a script
that separates words with spaces must stand as a whole word (``ivory`` does not match
``ivorybill``); a term in Chinese, Japanese or Thai, which do not, matches anywhere.
Runs of spaces and hyphens in a term match any run of spaces or hyphens.

The lexicon's identity is :attr:`Lexicon.digest`: the SHA-256 over the names and bytes of
every file loaded, in order. The custody entry of an analysis records it, so anyone can
tell which lexicon produced a hit.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import InvalidInputError

__all__ = [
    "SHIPPED_NAME",
    "Hit",
    "Lexicon",
    "LexiconFile",
    "Species",
    "Term",
    "fold",
    "load_lexicon",
]

SHIPPED_NAME = "cybercase:lexicon.toml"
"""How the shipped lexicon is named in records (it has no path of its own)."""

Appendix = Literal["I", "II", "III"]
TermKind = Literal["name", "product", "code"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LexiconInfo(_Model):
    """The ``[lexicon]`` table: what this file is."""

    name: str = Field(min_length=1)
    """A short name, e.g. ``cybercase`` or ``agency-ke``."""
    version: str = Field(min_length=1)
    """The file's own version, chosen by whoever keeps it."""
    description: str | None = None
    """One line for people."""


class Species(_Model):
    """A ``[[species]]`` table: a taxon and its CITES listing."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    """The id terms use to point at it (``loxodonta-africana``)."""
    scientific: str = Field(min_length=1)
    """The scientific name (a species, or a family such as ``Manidae``)."""
    english: str | None = None
    """The English common name, for reports."""
    cites: list[Appendix] = Field(default_factory=list)
    """The CITES Appendices it is listed in (two for a split listing); empty if none."""
    cites_note: str | None = None
    """Which populations are in which Appendix, when the listing is split."""
    source: str = Field(min_length=1)
    """Where the listing was taken from."""


class Term(_Model):
    """A ``[[term]]`` table: a word or phrase and the species it points at."""

    text: str = Field(min_length=1)
    """The term as written in its language."""
    lang: str = Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
    """BCP 47 language tag (``fr``, ``zh``, ``pt-BR``)."""
    kind: TermKind
    """``name`` of the animal, ``product`` made from it, or trade ``code`` word."""
    species: list[str] = Field(min_length=1)
    """Keys of the species it points at."""
    source: str = Field(min_length=1)
    """The citation: where this term is documented (a report, a page, a CITES document)."""


class LexiconFile(_Model):
    """One lexicon file as read."""

    lexicon: LexiconInfo
    species: list[Species] = Field(default_factory=list)
    term: list[Term] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Hit:
    """A lexicon term found in a text."""

    term: str
    """The term as the lexicon writes it."""
    matched: str
    """The text as written where it was found."""
    offset: int
    """Character offset in the original text."""
    lang: str
    kind: str
    species: tuple[str, ...]
    """Scientific names of the species it points at."""
    cites: tuple[str, ...]
    """CITES Appendices of those species (union)."""
    source: str
    lexicon: str
    """Name of the lexicon file the term came from."""


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    lexicon: str


def is_unspaced(char: str) -> bool:
    """Whether ``char`` belongs to a script written without spaces between words."""
    name = unicodedata.name(char, "")
    return name.startswith(
        ("CJK", "THAI", "HIRAGANA", "KATAKANA", "LAO", "KHMER", "MYANMAR", "HANGUL")
    )


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the offset it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            lowered = char.lower()
            folded.append(lowered)
            origin.append(index)
            continue
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.category(part) == "Mn":
                continue
            for out in part.casefold().replace("đ", "d"):
                folded.append(out)
                origin.append(index)
    return "".join(folded), origin


def fold(text: str) -> str:
    """The folded form used for matching (see the module's docstring)."""
    return fold_with_map(text)[0]


def _term_pattern(text: str) -> str:
    folded = fold(text).strip()
    pieces = [re.escape(piece) for piece in re.split(r"[\s\-‐]+", folded) if piece]
    body = r"[\s\-‐]+".join(pieces)
    if not is_unspaced(folded[0]):
        body = r"(?<!\w)" + body
    if not is_unspaced(folded[-1]):
        body = body + r"(?!\w)"
    return body


class Lexicon:
    """The loaded lexicon files, ready to match."""

    def __init__(self, files: Sequence[tuple[str, bytes, LexiconFile]]) -> None:
        self.files = [(name, parsed) for name, _, parsed in files]
        digest = hashlib.sha256()
        for name, data, _ in files:
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        self.digest = f"sha256:{digest.hexdigest()}"
        """SHA-256 over every file's name and bytes, in load order."""
        self.species: dict[str, Species] = {}
        entries: list[_Entry] = []
        for _name, parsed in self.files:
            for species in parsed.species:
                self.species[species.key] = species
            entries.extend(_Entry(term, parsed.lexicon.name) for term in parsed.term)
        by_folded: dict[str, list[_Entry]] = {}
        for entry in entries:
            by_folded.setdefault(_term_pattern(entry.term.text), []).append(entry)
        self._entries = by_folded
        patterns = sorted(by_folded, key=len, reverse=True)
        self._groups = {f"t{i}": p for i, p in enumerate(patterns)}
        self._pattern = re.compile("|".join(f"(?P<{g}>{p})" for g, p in self._groups.items()))

    @property
    def terms(self) -> list[Term]:
        """Every term, in file order."""
        return [term for _, parsed in self.files for term in parsed.term]

    def names(self) -> list[str]:
        """The lexicon files' names, in load order."""
        return [name for name, _ in self.files]

    def find(self, text: str) -> list[Hit]:
        """Every term found in ``text``, in order; overlapping shorter terms are not repeated."""
        folded, origin = fold_with_map(text)
        hits: list[Hit] = []
        seen: set[tuple[int, tuple[str, ...]]] = set()
        for match in self._pattern.finditer(folded):
            group = match.lastgroup
            if group is None:
                continue
            start = origin[match.start()]
            end = origin[match.end() - 1] + 1
            for entry in self._entries[self._groups[group]]:
                species = [self.species[key] for key in entry.term.species]
                key = (start, tuple(entry.term.species))
                if key in seen:
                    continue
                seen.add(key)
                cites = sorted({a for s in species for a in s.cites}, key=["I", "II", "III"].index)
                hits.append(
                    Hit(
                        term=entry.term.text,
                        matched=text[start:end],
                        offset=start,
                        lang=entry.term.lang,
                        kind=entry.term.kind,
                        species=tuple(s.scientific for s in species),
                        cites=tuple(cites),
                        source=entry.term.source,
                        lexicon=entry.lexicon,
                    )
                )
        return hits

    def resolve_species(self, name: str) -> list[str]:
        """Scientific names a user's word stands for: a scientific or common name, a key."""
        wanted = fold(name).strip()
        found: dict[str, None] = {}
        for key, species in self.species.items():
            if wanted in (fold(species.scientific), key, fold(species.english or "")):
                found.setdefault(species.scientific, None)
        for term in self.terms:
            if fold(term.text) == wanted:
                for key in term.species:
                    found.setdefault(self.species[key].scientific, None)
        return list(found)


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line of a table (``[[term]]`` number N) or of a key in it, for an error message."""
    if not loc or loc[0] not in ("term", "species", "lexicon"):
        return None
    table = str(loc[0])
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\[\s*" + table + r"\s*\]\]") if table != "lexicon" else None
    start = None
    if header is None:
        start = next((i for i, line in enumerate(lines) if line.strip() == "[lexicon]"), None)
        field_at = 1
    elif len(loc) > 1 and isinstance(loc[1], int):
        count = -1
        for i, line in enumerate(lines):
            if header.match(line):
                count += 1
                if count == loc[1]:
                    start = i
                    break
        field_at = 2
    else:
        return None
    if start is None:
        return None
    if len(loc) > field_at:
        key = re.compile(r"^\s*" + re.escape(str(loc[field_at])) + r"\s*=")
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            if key.match(lines[i]):
                return i + 1
    return start + 1


def parse_lexicon(data: bytes, name: str) -> LexiconFile:
    """One lexicon file, or a one-line error naming the file and the line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"lexicon {name} is not UTF-8 text (byte {exc.start})") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"lexicon {name} is not valid TOML: {exc}",
            hint="fix that line; docs/investigate.md describes the format",
        ) from exc
    try:
        return LexiconFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        line = _line_of(text, loc)
        where = f" line {line}" if line else ""
        field = ".".join(str(p) for p in loc)
        raise InvalidInputError(
            f"lexicon {name}{where}: {field}: {first['msg']}",
            hint="fix that line; docs/investigate.md describes the format",
        ) from exc


def _check_species(files: Iterable[tuple[str, bytes, LexiconFile]]) -> None:
    known: set[str] = set()
    for name, data, parsed in files:
        known.update(s.key for s in parsed.species)
        text = data.decode("utf-8")
        for index, term in enumerate(parsed.term):
            for key in term.species:
                if key not in known:
                    line = _line_of(text, ("term", index, "species"))
                    where = f" line {line}" if line else ""
                    raise InvalidInputError(
                        f"lexicon {name}{where}: term {term.text!r} names species {key!r}, "
                        "which no [[species]] defines",
                        hint="add a [[species]] table with that key, or fix the key",
                    )


@cache
def _shipped() -> tuple[str, bytes, LexiconFile]:
    data = resources.files("cybercase.investigate").joinpath("lexicon.toml").read_bytes()
    return SHIPPED_NAME, data, parse_lexicon(data, SHIPPED_NAME)


def load_lexicon(extra: Sequence[Path] = (), *, shipped: bool = True) -> Lexicon:
    """The shipped lexicon (unless ``shipped=False``) followed by the agency's files."""
    files: list[tuple[str, bytes, LexiconFile]] = [_shipped()] if shipped else []
    for path in extra:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(
                f"cannot read lexicon {path}: {exc.strerror}",
                hint="check [investigate] lexicons in the configuration",
            ) from exc
        files.append((str(path), data, parse_lexicon(data, str(path))))
    _check_species(files)
    return Lexicon(files)
