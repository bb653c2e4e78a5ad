"""Reading rendered pages the way a test needs to: by data-testid, and in Chinese."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

from tongban.kernel import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


class _ByTestId(HTMLParser):
    """Collects the text inside every element that carries a data-testid."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[str]] = {}
        self.attributes: dict[str, list[dict[str, str | None]]] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        testid = values.get("data-testid")
        if testid:
            self.attributes.setdefault(testid, []).append(values)
        if tag in {"input", "br", "img", "meta", "link"}:
            if testid:
                self.found.setdefault(testid, []).append("")
            return
        self._open.append((tag, testid, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, testid, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if testid:
                self.found.setdefault(testid, []).append(text)
            if self._open:
                self._open[-1][2].append("".join(parts))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def parse(html: str) -> _ByTestId:
    parser = _ByTestId()
    parser.feed(html)
    parser.close()
    return parser


def texts(html: str, testid: str) -> list[str]:
    """The text of every element with this data-testid, in page order."""
    return parse(html).found.get(testid, [])


def text(html: str, testid: str) -> str:
    found = texts(html, testid)
    assert len(found) == 1, f"expected one [data-testid={testid}], found {len(found)}"
    return found[0]


def has(html: str, testid: str) -> bool:
    return bool(parse(html).attributes.get(testid))


def attributes(html: str, testid: str) -> list[dict[str, Any]]:
    return parse(html).attributes.get(testid, [])


def zh(msgid: str, **params: Any) -> str:
    """The Chinese text of a message, checked to really be Chinese (so a missing translation fails)."""
    translated = i18n.translate(msgid, language="zh-CN", **params)
    assert CJK.search(translated), f"no Chinese translation for {msgid!r}"
    return translated


def visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))
