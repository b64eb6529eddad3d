"""Where cybercase keeps per-user files, and the TOML configuration.

Investigator keys and the configuration live in the user's config folder (platformdirs),
never inside a case. ``CYBERCASE_HOME`` moves that folder (tests, the demo, a portable
install on a USB stick). The configuration is a TOML file, ``config.toml`` in that
folder, or the file named by ``--config`` / ``CYBERCASE_CONFIG``; each layer reads its
own table (``[capture]``, ``[tsa]``, ``[[tsa.authorities]]``, ``[platforms.*]``...) and
validates it with its own model, so a typo is reported where it is understood.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cybercase.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import ValidationError

ENV_HOME = "CYBERCASE_HOME"
ENV_CONFIG = "CYBERCASE_CONFIG"
ENV_CASE = "CYBERCASE_CASE"
ENV_PASSPHRASE = "CYBERCASE_PASSPHRASE"
ENV_KEY = "CYBERCASE_KEY"


def user_home() -> Path:
    """The per-user folder holding keys and the default configuration."""
    override = os.environ.get(ENV_HOME)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("cybercase", appauthor=False))


def config_path(explicit: Path | None = None) -> Path:
    """The configuration file in effect: explicit, then the environment, then the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    return user_home() / "config.toml"


def load_config(explicit: Path | None = None) -> dict[str, Any]:
    """The configuration as a dict; an absent default file means an empty configuration.

    An explicitly named file that is missing, or any file that is not valid TOML, is a
    usage error naming the file and the line.
    """
    path = config_path(explicit)
    named = explicit is not None or bool(os.environ.get(ENV_CONFIG))
    if not path.exists():
        if named:
            raise InvalidInputError(
                f"configuration file not found: {path}",
                hint="check the path given with --config or CYBERCASE_CONFIG",
            )
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"configuration file {path} is not valid TOML: {exc}",
            hint="fix the file; see docs/configuration.md",
        ) from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read configuration file {path}: {exc.strerror}") from exc


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    """One table of the configuration (empty if absent); a non-table is an error."""
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInputError(f"configuration: [{name}] must be a table")
    return value


def invalid_setting(exc: ValidationError, what: str, hint: str | None = None) -> InvalidInputError:
    """One line naming the first invalid field, e.g. ``capture setting jobs: ...``.

    Every table of the configuration (and the platform directory) is validated by a
    pydantic model; this turns its error into the message a user can act on.
    """
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return InvalidInputError(f"{what} {where}: {first['msg']}".replace(" : ", ": "), hint=hint)
