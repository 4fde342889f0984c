"""Where Keito keeps its files and which database it opens, from the environment."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from keito_core.errors import KeitoError

DATABASE_FILE = "keito.db"


@dataclass(frozen=True)
class Settings:
    """Process-wide settings, resolved once by the composition root."""

    config_dir: Path
    data_dir: Path
    database_url: str
    api_key: str | None = None

    @property
    def display_url(self) -> str:
        """The database URL with any password masked, safe to print or log."""
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.database_url)
        if parts.password is None:
            return self.database_url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def receipts_dir(self) -> Path:
        return self.data_dir / "receipts"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file behind database_url, or None for other databases."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None


def secure_workspace_dirs(settings: Settings) -> None:
    """Take group and other access off Keito's own directories and config file that exist
    (data, receipts, config): a workspace an older Keito made readable to all is tightened
    when opened. See keito_core.platform.private_files."""
    from keito_core.platform.private_files import tighten_all

    tighten_all(settings.data_dir, settings.receipts_dir, settings.config_dir,
                settings.config_file)


def _dirs(env: Mapping[str, str]) -> tuple[Path, Path]:
    home = env.get("KEITO_HOME")
    if home:
        root = Path(home).expanduser()
        return root, root / "data"
    from platformdirs import user_data_path

    return Path("~/.keito").expanduser(), user_data_path("keito", appauthor=False)


def read_config_file(path: Path) -> dict:
    """The parsed TOML config file, or {} when there is none."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise KeitoError("config_error", f"cannot read {path}: {exc}") from exc


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment, then ~/.keito/config.toml, then defaults."""
    env = os.environ if env is None else env
    config_dir, data_dir = _dirs(env)
    url = env.get("KEITO_DATABASE_URL")
    if not url:
        url = read_config_file(config_dir / "config.toml").get("database", {}).get("url")
    if not url:
        url = f"sqlite:///{data_dir / DATABASE_FILE}"
    return Settings(
        config_dir=config_dir,
        data_dir=data_dir,
        database_url=url,
        api_key=env.get("KEITO_API_KEY") or None,
    )
