"""The platform directory: who holds the data and how long they keep it once asked.

A user-editable TOML file. The package ships a default (``platforms.toml`` beside this
module) holding only cited facts and placeholders; ``cybercase request platforms
--init`` copies it into the cybercase folder, where the user's copy then takes its
place. ``[request] platforms = "FILE"`` names another file, and ``[platforms.NAME]``
tables in ``config.toml`` change single fields of one entry (or add an entry).

Deadlines resolve from the most specific source to the least: the request's own
``--days``, the platform's entry, the ``[request]`` defaults of the configuration, the
directory's ``[defaults]``, and finally the built-in 90/90/7 days.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import InvalidInputError, StorageError
from cybercase.request.config import RequestConfig
from cybercase.request.models import DeadlinePolicy
from cybercase.settings import invalid_setting, user_home

DIRECTORY_FORMAT = "cybercase-platforms/1"
SHIPPED_PATH = Path(__file__).with_name("platforms.toml")
USER_FILE = "platforms.toml"

BUILTIN_PRESERVATION_DAYS = 90
BUILTIN_EXTENSION_DAYS = 90
BUILTIN_NOTICE_DAYS = 7


def _check_patterns(value: list[str]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
    return value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Platform(_Model):
    """One platform's entry in the directory."""

    name: str
    """Display name."""
    aliases: list[str] = Field(default_factory=list)
    """Other names the platform is known by (matched case-insensitively)."""
    legal_entity: str = ""
    """The company that holds the data and receives requests."""
    portal: str = ""
    """The law-enforcement request portal."""
    email: str = ""
    """The law-enforcement contact address."""
    postal: str = ""
    """The postal address for requests."""
    identifiers: list[str] = Field(default_factory=list)
    """The identifiers the platform asks for (profile URL, numeric id...)."""
    account_url_patterns: Annotated[list[str], AfterValidator(_check_patterns)] = Field(
        default_factory=list
    )
    """Regular expressions that recognise account or seller links on its pages."""
    preservation_days: int | None = Field(default=None, ge=1, le=3650)
    """How long the platform keeps data after a preservation request."""
    extension_days: int | None = Field(default=None, ge=1, le=3650)
    """How much longer an extension keeps it."""
    extension_notice_days: int | None = Field(default=None, ge=0, le=365)
    """How many days before expiry an extension must be asked for."""
    max_extensions: int | None = Field(default=None, ge=0)
    """How many extensions the platform grants (absent: no known limit)."""
    notes: str = ""
    """Anything an investigator should know."""
    sources: list[str] = Field(default_factory=list)
    """Where the facts in this entry come from."""
    placeholder: bool = False
    """A template entry with no real contacts."""

    def channel(self) -> str:
        """The preferred channel: the portal, else the email address, else the post."""
        return self.portal or self.email or self.postal


class Defaults(_Model):
    """``[defaults]`` of the directory."""

    preservation_days: int = Field(default=BUILTIN_PRESERVATION_DAYS, ge=1, le=3650)
    """Preservation period when a platform's entry gives none."""
    extension_days: int = Field(default=BUILTIN_EXTENSION_DAYS, ge=1, le=3650)
    """Length of an extension when a platform's entry gives none."""
    extension_notice_days: int = Field(default=BUILTIN_NOTICE_DAYS, ge=0, le=365)
    """Notice before expiry when a platform's entry gives none."""
    max_extensions: int | None = Field(default=None, ge=0)
    """Maximum extensions when a platform's entry gives none."""
    sources: list[str] = Field(default_factory=list)
    """Where these defaults come from."""


class DirectoryFile(_Model):
    """The whole directory file."""

    format: Literal["cybercase-platforms/1"] = "cybercase-platforms/1"
    """Version of the file's layout."""
    defaults: Defaults = Defaults()
    """Deadlines applied to platforms that do not set their own."""
    platforms: dict[str, Platform] = Field(default_factory=dict)
    """Entries, by key (the name used with ``--platform``)."""


@dataclass(slots=True)
class PlatformDirectory:
    """The directory in effect, and where it came from."""

    path: Path
    origin: Literal["shipped", "user", "configured"]
    defaults: Defaults
    platforms: dict[str, Platform]
    overridden: list[str] = field(default_factory=list)
    """Keys changed by ``[platforms.NAME]`` tables of the configuration."""

    def find(self, name: str) -> tuple[str, Platform] | None:
        """The entry whose key, display name or alias is ``name`` (any case)."""
        wanted = name.strip().casefold()
        for key, platform in self.platforms.items():
            names = {key.casefold(), platform.name.casefold()}
            names.update(alias.casefold() for alias in platform.aliases)
            if wanted in names:
                return key, platform
        return None

    def policies(
        self, config: RequestConfig, entries: dict[str, Platform] | None = None
    ) -> dict[str, DeadlinePolicy]:
        """The deadlines a new request to each platform would get, so a listing shows them."""
        chosen = self.platforms if entries is None else entries
        return {key: self.policy(platform, config) for key, platform in chosen.items()}

    def policy(
        self, platform: Platform | None, config: RequestConfig, days: int | None = None
    ) -> DeadlinePolicy:
        """The deadlines for a new preservation request (most specific source first)."""
        table = config.request

        def pick(*values: int | None) -> int | None:
            return next((v for v in values if v is not None), None)

        p = platform
        preservation = pick(
            days,
            p.preservation_days if p else None,
            table.preservation_days,
            self.defaults.preservation_days,
        )
        extension = pick(
            p.extension_days if p else None, table.extension_days, self.defaults.extension_days
        )
        notice = pick(
            p.extension_notice_days if p else None,
            table.extension_notice_days,
            self.defaults.extension_notice_days,
        )
        max_ext = pick(
            p.max_extensions if p else None, table.max_extensions, self.defaults.max_extensions
        )
        return DeadlinePolicy(
            preservation_days=preservation or BUILTIN_PRESERVATION_DAYS,
            extension_days=extension or BUILTIN_EXTENSION_DAYS,
            extension_notice_days=notice if notice is not None else BUILTIN_NOTICE_DAYS,
            max_extensions=max_ext,
        )


def user_directory_path() -> Path:
    """Where the user's own copy of the directory lives."""
    return user_home() / USER_FILE


def _read(path: Path) -> DirectoryFile:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"platform directory not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"platform directory {path} is not valid TOML: {exc}",
            hint="fix the file, or delete it to go back to the shipped directory",
        ) from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read platform directory {path}: {exc.strerror}") from exc
    try:
        return DirectoryFile.model_validate(raw)
    except ValidationError as exc:
        raise invalid_setting(
            exc,
            f"platform directory {path}:",
            hint="fix the entry; see docs/requests.md for the fields",
        ) from exc


def load_directory(config: RequestConfig | None = None) -> PlatformDirectory:
    """The directory in effect: configured file, else the user's copy, else the shipped one."""
    config = config or RequestConfig()
    if config.request.platforms:
        path = Path(config.request.platforms).expanduser()
        origin: Literal["shipped", "user", "configured"] = "configured"
    elif user_directory_path().is_file():
        path, origin = user_directory_path(), "user"
    else:
        path, origin = SHIPPED_PATH, "shipped"
    data = _read(path)
    platforms = dict(data.platforms)
    overridden: list[str] = []
    for key, changes in config.platform_overrides.items():
        base: dict[str, Any] = platforms[key].model_dump() if key in platforms else {"name": key}
        try:
            platforms[key] = Platform.model_validate({**base, **changes})
        except ValidationError as exc:
            raise invalid_setting(
                exc,
                f"configuration [platforms.{key}]",
                hint="fix the configuration file; see docs/requests.md",
            ) from exc
        overridden.append(key)
    return PlatformDirectory(path, origin, data.defaults, platforms, overridden)


def init_user_directory() -> Path:
    """Copy the shipped directory into the cybercase folder for editing (never overwrites)."""
    target = user_directory_path()
    if target.exists():
        raise InvalidInputError(
            f"{target} already exists", hint="edit it, or delete it to start again from the default"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHIPPED_PATH, target)
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {exc.strerror}") from exc
    return target
