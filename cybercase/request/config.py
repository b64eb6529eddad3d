"""The configuration tables the request layer reads: ``[agency]``, ``[officer]``, ``[request]``.

Each table is validated by its own model, so a misspelt key is reported by name rather
than silently ignored (a letter without the officer's badge number is worse than an
error). ``[platforms.NAME]`` tables are read by :mod:`.platforms`.

::

    [agency]
    name = "National Wildlife Crime Unit"
    address = "PO Box 1, Nairobi"
    country = "Kenya"
    email = "cyber@wildlife.example"
    phone = "+254 20 000000"

    [officer]
    name = "Amina Okafor"
    badge = "KWS-1234"
    email = "a.okafor@wildlife.example"
    phone = "+254 700 000000"
    title = "Inspector"

    [request]
    templates = "~/agency-letters"   # a folder of Jinja2 templates overriding the built-in ones
    language = "en"
    preservation_days = 90           # defaults when the platform directory says nothing
    extension_days = 90
    extension_notice_days = 7
    platforms = "~/platforms.toml"   # another platform directory file
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import InvalidInputError
from cybercase.settings import invalid_setting, section


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencyConfig(_Table):
    """``[agency]``: the requesting authority as letters name it."""

    name: str | None = None
    """The agency's name (default: the case's agency)."""
    unit: str | None = None
    """Department or unit."""
    address: str | None = None
    """Postal address, printed in the letterhead."""
    country: str | None = None
    """Country."""
    email: str | None = None
    """Official email address of the agency."""
    phone: str | None = None
    """Telephone number of the agency."""


class OfficerConfig(_Table):
    """``[officer]``: the officer who signs the letters."""

    name: str | None = None
    """Full name (default: the name on the signing key)."""
    badge: str | None = None
    """Badge or warrant-card number."""
    email: str | None = None
    """Official email address (default: the email on the signing key)."""
    phone: str | None = None
    """Telephone number."""
    title: str | None = None
    """Rank or function."""


class RequestTable(_Table):
    """``[request]``: letters and deadline defaults."""

    templates: str | None = None
    """A folder of Jinja2 templates that override the built-in letters, in part or whole."""
    language: str = "en"
    """The letters' language; ``<language>/<type>.html.j2`` is looked for first."""
    preservation_days: int | None = Field(default=None, ge=1, le=3650)
    """Default preservation period, when the platform directory gives none."""
    extension_days: int | None = Field(default=None, ge=1, le=3650)
    """Default length of an extension."""
    extension_notice_days: int | None = Field(default=None, ge=0, le=365)
    """Default number of days before expiry by which an extension must be asked for."""
    max_extensions: int | None = Field(default=None, ge=0)
    """Default maximum number of extensions."""
    platforms: str | None = None
    """Another platform directory file to use instead of the one in the cybercase folder."""


class RequestConfig(BaseModel):
    """The three tables together, plus the raw ``[platforms.*]`` overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: AgencyConfig = AgencyConfig()
    """``[agency]``."""
    officer: OfficerConfig = OfficerConfig()
    """``[officer]``."""
    request: RequestTable = RequestTable()
    """``[request]``."""
    platform_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """``[platforms.NAME]`` tables, validated when the directory is loaded."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RequestConfig:
        """Validate the tables of a loaded configuration; a typo is a one-line error."""
        tables: dict[str, Any] = {}
        for name, model in (
            ("agency", AgencyConfig),
            ("officer", OfficerConfig),
            ("request", RequestTable),
        ):
            try:
                tables[name] = model.model_validate(section(config, name))
            except ValidationError as exc:
                raise invalid_setting(
                    exc,
                    f"configuration [{name}]",
                    hint="fix the configuration file; see docs/requests.md",
                ) from exc
        overrides = section(config, "platforms")
        for key, value in overrides.items():
            if not isinstance(value, dict):
                raise InvalidInputError(f"configuration: [platforms.{key}] must be a table")
        return cls(platform_overrides=overrides, **tables)

    def templates_folder(self) -> Path | None:
        """The agency's template folder, if one is configured (it must exist)."""
        if not self.request.templates:
            return None
        folder = Path(self.request.templates).expanduser()
        if not folder.is_dir():
            raise InvalidInputError(
                f"[request] templates names {folder}, which is not a folder",
                hint="fix the path in the configuration, or remove the line to use the "
                "built-in letters",
            )
        return folder
