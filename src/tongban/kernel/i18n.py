"""Translations: gettext catalogs (Babel .po files) loaded at start-up, no compile step.

The source language of msgids is English; ``zh-CN`` is the default language.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from tongban.config import SUPPORTED_LANGUAGES
from tongban.kernel.clock import LOCAL_ZONE

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_CATALOG_DIRS = {"zh-CN": "zh_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh-CN"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog for a language (cached; .po compiled in memory)."""
    po_path = LOCALE_DIR / _CATALOG_DIRS.get(language, "en") / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalise_language(value: str | None) -> str | None:
    """Map 'zh', 'zh-cn', 'zh_CN', 'en-US' … to a supported language, or None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").lower()
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """Pick the best supported language from an Accept-Language header."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        quality = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith("q="):
                try:
                    quality = float(piece.strip()[2:])
                except ValueError:
                    quality = 0.0
        language = normalise_language(pieces[0])
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return sorted(ranked)[0][2] if ranked else None


def _display(value: Any, language: str) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value, language)
    if isinstance(value, date):
        return format_date(value, language)
    return value


def translate(message: str, language: str | None = None, **params: Any) -> str:
    """Translate a msgid and fill its ``{placeholders}``; dates are formatted for the language."""
    language = language or current_language.get()
    text = translations(language).gettext(message)
    if not params:
        return text
    return text.format(**{key: _display(value, language) for key, value in params.items()})


def translate_plural(
    singular: str, plural: str, count: int, language: str | None = None, **params: Any
) -> str:
    text = translations(language or current_language.get()).ngettext(singular, plural, count)
    return text.format(count=count, **params)


def format_date(value: date | datetime | None, language: str | None = None) -> str:
    """2026年11月27日 in Chinese, 2026-11-27 in English; datetimes in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_ZONE).date()
    if (language or current_language.get()) == "zh-CN":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def format_datetime(value: datetime | None, language: str | None = None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LOCAL_ZONE)
    return f"{format_date(local, language)} {local:%H:%M}"


assert set(_CATALOG_DIRS) == set(SUPPORTED_LANGUAGES)
