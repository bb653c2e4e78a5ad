"""Chinese is the default language: every message the platform can show must be translated."""

from datetime import UTC, date, datetime
from string import Formatter

from tongban.kernel import i18n
from tongban.kernel.i18n_catalog import extract, read_catalog, untranslated


def test_every_message_has_a_chinese_translation() -> None:
    used = extract()
    assert len(used) > 100  # the extractor really found the templates and the code
    assert untranslated(read_catalog(), used) == []


def _placeholders(text: str) -> set[str]:
    """The {name} fields of a format string ({{ and }} are literal braces, not fields)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_placeholders_survive_translation() -> None:
    catalog = read_catalog()
    for message in catalog:
        if not message.id or not message.string:
            continue
        missing = _placeholders(str(message.id)) - _placeholders(str(message.string))
        assert not missing, (message.id, message.string)


def test_translate_in_both_languages() -> None:
    assert i18n.translate("Log in", language="zh-CN") == "登录"
    assert i18n.translate("Log in", language="en") == "Log in"
    assert i18n.translate("{total} in all", language="zh-CN", total=3) == "共 3 条"


def test_dates_are_written_the_chinese_way() -> None:
    assert i18n.format_date(date(2026, 11, 27), "zh-CN") == "2026年11月27日"
    assert i18n.format_date(date(2026, 11, 27), "en") == "2026-11-27"
    # 2026-11-27 20:30 UTC is already the 28th in Shanghai.
    assert i18n.format_datetime(datetime(2026, 11, 27, 20, 30, tzinfo=UTC), "zh-CN") == "2026年11月28日 04:30"


def test_accept_language_negotiation() -> None:
    assert i18n.negotiate("en-US,en;q=0.9") == "en"
    assert i18n.negotiate("fr;q=1, zh-TW;q=0.8, en;q=0.5") == "zh-CN"
    assert i18n.negotiate("fr") is None
    assert i18n.negotiate(None) is None
