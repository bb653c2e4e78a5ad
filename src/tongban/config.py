"""Settings, read from ``TONGBAN_*`` environment variables and an optional env file.

The env file is ``tongban.env`` in the working directory, or the path in
``TONGBAN_CONFIG_FILE``. Environment variables win over the file.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["zh-CN", "en"]
SUPPORTED_LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")


def _env_file() -> str:
    return os.environ.get("TONGBAN_CONFIG_FILE", "tongban.env")


class Settings(BaseSettings):
    """Runtime configuration. Every field maps to ``TONGBAN_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="TONGBAN_", env_file=_env_file(), extra="ignore", frozen=False
    )

    data_dir: Path = Field(
        default=Path("var"), description="Where the embedded database, secret key and files live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when empty."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs cookies; generated and stored in data_dir when empty."
    )
    language: Language = Field(default="zh-CN", description="Default UI and API language.")
    time_zone: str = Field(
        default="Asia/Shanghai", description="Time zone used for display and working days."
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public address of this install.")
    session_hours: int = Field(default=8, ge=1, le=720, description="Lifetime of a log-in session.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed log-ins before an account is locked."
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, description="How long a locked account stays locked."
    )
    jobs_url: str | None = Field(
        default=None,
        description="Job queue: a redis:// URL in production; empty keeps jobs in SQLite under data_dir.",
    )
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; defaults to true when base_url is https."
    )
    smtp_host: str = Field(
        default="", description="SMTP server for notification e-mail; empty turns the e-mail channel off."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["starttls", "ssl", "plain"] = Field(
        default="starttls",
        description="starttls (upgrade after connecting), ssl (TLS from the start) or plain (no TLS).",
    )
    smtp_user: str = Field(default="", description="SMTP log-in name; empty: no authentication.")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_from: str = Field(
        default="通办 <noreply@localhost>", description="From address of notification e-mail."
    )
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the SMTP server.")
    sms_gateway_url: str = Field(
        default="", description="HTTP endpoint of the SMS gateway; empty turns the SMS channel off."
    )
    sms_gateway_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token sent to the SMS gateway."
    )
    outbox_lease_seconds: int = Field(
        default=300,
        ge=1,
        description="A message claimed by a sender longer ago than this is taken again (the sender died).",
    )
    outbox_max_attempts: int = Field(
        default=6, ge=1, description="Send attempts before an outbox message is marked failed."
    )
    reminder_working_days: int = Field(
        default=3,
        ge=1,
        le=60,
        description="Remind matched enterprises this many working days before a window closes.",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tongban.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @cached_property
    def signing_key(self) -> str:
        """The secret key; created once and kept in ``data_dir/secret_key`` when not configured."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return load_or_create_secret(self.data_dir / "secret_key")


def load_or_create_secret(path: Path) -> str:
    """Read the stored secret, or create it with owner-only permissions."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


def get_settings() -> Settings:
    return Settings()
