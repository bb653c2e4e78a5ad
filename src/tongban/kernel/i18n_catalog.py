"""Maintaining the gettext catalog: extract msgids from code and templates, merge translations.

msgids are English; the zh_CN catalog must translate every one of them (a test checks it).
English needs no catalog: a missing translation falls back to the msgid itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ZH_CATALOG = PACKAGE_DIR / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "translate": None,
    "ngettext": (1, 2),
    "translate_plural": (1, 2),
}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
}


def extract() -> set[str]:
    """Every msgid used in the package (Python N_/translate calls and template _() calls)."""
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR), METHOD_MAP, OPTIONS, KEYWORDS
    ):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def read_catalog(path: Path = ZH_CATALOG) -> Catalog:
    if not path.exists():
        return Catalog(locale="zh_CN", domain="messages")
    with path.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def untranslated(catalog: Catalog, msgids: Iterable[str]) -> list[str]:
    def translated(msgid: str) -> bool:
        message = catalog.get(msgid)
        return message is not None and bool(message.string)

    return sorted(m for m in msgids if not translated(m))


def update(extra: dict[str, str] | None = None, path: Path = ZH_CATALOG) -> list[str]:
    """Rewrite the catalog with exactly the msgids in use; returns those still untranslated."""
    old = read_catalog(path)
    used = extract()
    # Fixed header dates keep the file's diff to the messages that changed.
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    new = Catalog(
        locale="zh_CN",
        domain="messages",
        project="Tongban",
        version="1",
        fuzzy=False,
        creation_date=stamp,
        revision_date=stamp,
        copyright_holder="Tongban contributors",
        msgid_bugs_address="",
        last_translator="Tongban contributors",
        language_team="Tongban",
    )
    for msgid in sorted(used):
        existing = old.get(msgid)
        text = (extra or {}).get(msgid) or (existing.string if existing else "")
        new.add(msgid, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, new, width=0, omit_header=False, sort_output=True)
    return untranslated(new, used)
