"""Letters to platforms, rendered from Jinja2 templates (their PDF: :mod:`cybercase.request.pdf`).

There is one template per request type (``preservation.html.j2``, ``disclosure.html.j2``,
``emergency.html.j2``, ``takedown.html.j2``), built on ``base.html.j2`` with the
``letterhead.html.j2`` and ``signature.html.j2`` parts. An agency overrides any of them
by putting a file of the same name in the folder named by ``[request] templates``: its
files are looked up first, so a new letterhead alone is enough. A language folder
(``fr/preservation.html.j2``) is tried before the plain name.

Everything a template prints is HTML-escaped (page titles and URLs come from suspects'
web pages), and an undefined variable is an error rather than an empty gap in a letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import jinja2

from cybercase.clock import parse_utc
from cybercase.digest import hash_file
from cybercase.errors import InvalidInputError

BUILTIN_TEMPLATES = Path(__file__).with_name("templates")

CATEGORY_LABELS = {
    "subscriber": "subscriber information (name, email address, telephone number, "
    "registration details)",
    "traffic": "traffic data (IP addresses with dates, times and time zones of "
    "connections, session and login records)",
    "content": "stored content (messages, posts, listings, photographs and videos, "
    "including deleted items still held)",
}
FOLLOW_UP_LABELS = {
    "mutual-legal-assistance": "a request for mutual legal assistance",
    "production-order": "a production order or equivalent domestic legal process",
}
KIND_LABELS = {
    "url": "URL",
    "account": "account name",
    "account-url": "account or seller page",
    "numeric-id": "numeric id",
    "listing-id": "listing id",
    "email": "email address",
    "phone": "telephone number",
    "other": "identifier",
}


@dataclass(frozen=True, slots=True)
class Letter:
    """A rendered letter and where its template came from."""

    html: str
    template: str
    """The template file used (``preservation.html.j2``, ``fr/preservation.html.j2``)."""
    source: Literal["agency", "built-in"]
    """Whether the main template is the agency's or the one shipped with cybercase."""
    language: str
    """The language folder actually used (``en`` when it fell back to the plain name)."""
    note: str | None = None
    """Why the letter is not in the language asked for, if so."""
    agency_templates: dict[str, str] = field(default_factory=dict)
    """The agency's template files in force (name to ``sha256:``), to reproduce the letter."""

    def describe(self) -> dict[str, Any]:
        """How a custody entry records the templates used."""
        described: dict[str, Any] = {
            "template": self.template,
            "source": self.source,
            "language": self.language,
        }
        if self.agency_templates:
            described["agency_templates"] = self.agency_templates
        return described


PRIMARY_ROLES = ("warc", "original")
"""The file a platform can match an item by: a capture's WARC, an imported file itself."""


def primary_artifact(artifacts: Sequence[Any]) -> Any | None:
    """The one file (and hash) a letter names for an item; the others stay in the case."""
    for role in PRIMARY_ROLES:
        for artifact in artifacts:
            if _field(artifact, "role") == role:
                return artifact
    return artifacts[0] if artifacts else None


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _long_date(value: str | datetime) -> str:
    at = parse_utc(value) if isinstance(value, str) else value
    return f"{at.day} {at.strftime('%B %Y')}"


def _utc(value: str | datetime | None) -> str:
    if value is None:
        return ""
    at = parse_utc(value) if isinstance(value, str) else value
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


class LetterRenderer:
    """Renders letters from the agency's templates, falling back to the built-in ones."""

    def __init__(self, agency_folder: Path | None = None, language: str = "en") -> None:
        self.agency_folder = agency_folder
        self.language = language.strip() or "en"
        self.agency_files: dict[str, str] = {}
        if agency_folder is not None:
            for path in sorted(agency_folder.rglob("*.j2")):
                if path.is_file():
                    name = path.relative_to(agency_folder).as_posix()
                    try:
                        self.agency_files[name] = str(hash_file(path))
                    except OSError as exc:
                        raise InvalidInputError(
                            f"cannot read letter template {path}: {exc.strerror}"
                        ) from exc
        loaders: list[jinja2.BaseLoader] = []
        if agency_folder is not None:
            loaders.append(jinja2.FileSystemLoader(str(agency_folder)))
        loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["long_date"] = _long_date
        self.env.filters["utc"] = _utc
        self.env.filters["primary"] = primary_artifact
        self.env.globals.update(
            category_labels=CATEGORY_LABELS,
            follow_up_labels=FOLLOW_UP_LABELS,
            kind_labels=KIND_LABELS,
        )

    def _source(self, name: str) -> Literal["agency", "built-in"]:
        if self.agency_folder is not None and (self.agency_folder / name).is_file():
            return "agency"
        return "built-in"

    def render(self, kind: str, context: dict[str, Any]) -> Letter:
        """The letter for one request type; a template error is a one-line error."""
        names = [f"{kind}.html.j2"]
        if self.language != "en":
            names.insert(0, f"{self.language}/{kind}.html.j2")
        try:
            template = self.env.select_template(names)
            html = template.render(**context)
        except jinja2.TemplatesNotFound as exc:
            raise InvalidInputError(
                f"no letter template for a {kind} request",
                hint=f"add {kind}.html.j2 to your templates folder",
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidInputError(
                f"letter template {exc.filename or exc.name} line {exc.lineno}: {exc.message}",
                hint="fix the template; see docs/requests.md",
            ) from exc
        except jinja2.UndefinedError as exc:
            raise InvalidInputError(
                f"letter template for a {kind} request uses an unknown value: {exc.message}",
                hint="check the variable names against docs/requests.md",
            ) from exc
        except jinja2.TemplateError as exc:
            raise InvalidInputError(f"letter template for a {kind} request failed: {exc}") from exc
        name = template.name or names[-1]
        language = self.language if name.startswith(f"{self.language}/") else "en"
        note = None
        if language != self.language:
            note = f"no '{self.language}' template for {kind} letters: the letter is in English"
        return Letter(html, name, self._source(name), language, note, dict(self.agency_files))
