"""Chinese full-text search of the catalog: jieba tokens stored as text, matched token by token.

A resource's ``search_text`` is its distinct tokens, lower-cased and NFKC-normalised, joined
by single spaces with a space at each end: `` 企业 信息 年度 纳税 ``. A query is cut the same
way and every query word must match a whole stored token, written as
``search_text LIKE '% 纳税 %'`` — plain string matching that means the same on SQLite and on
PostgreSQL, with no dialect-specific index to keep in step (see docs/catalog.md).

Documents are cut in jieba's search mode (the words and the dictionary words inside longer
ones); queries in precise mode. A query word that the document's segmentation did not produce
as a whole still matches when all its own search-mode parts do: 高新技术 finds a document that
jieba cut as 高新技术企业. The HMM guesser is off so that segmentation does not depend on
context: an unknown word falls apart into its characters on both sides.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

# Particles and conjunctions that carry no meaning in a catalog query.
STOP_WORDS = frozenset(
    {"的", "了", "和", "与", "及", "或", "等", "之", "其", "并", "a", "an", "the", "of", "and"}
)
MAX_QUERY_WORDS = 12

_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """jieba's tokenizer, built on first use from the dictionary inside the wheel, silently."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # jieba imports pkg_resources on old setuptools
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _keep(token: str) -> bool:
    return token not in STOP_WORDS and any(ch.isalnum() for ch in token)


def _search_cut(text: str) -> list[str]:
    return [t.strip() for t in _jieba().cut_for_search(text, HMM=False) if _keep(t.strip())]


def tokens(text: str) -> list[str]:
    """Search-mode tokens of a text, in order, duplicates kept."""
    return _search_cut(_normal(text))


def document(parts: Iterable[str]) -> str:
    """The ``search_text`` of a resource from its name, abstract, field and element names…"""
    found: set[str] = set()
    for part in parts:
        found.update(tokens(part))
    return f" {' '.join(sorted(found))} " if found else ""


@dataclass(frozen=True)
class QueryWord:
    """A word the document must hold, or else all of its parts."""

    word: str
    parts: tuple[str, ...] = ()


def query_words(query: str) -> list[QueryWord]:
    normal = _normal(query)
    words: list[QueryWord] = []
    seen: set[str] = set()
    for piece in _jieba().cut(normal, HMM=False):
        word = piece.strip()
        if not _keep(word) or word in seen:
            continue
        seen.add(word)
        parts = tuple(p for p in dict.fromkeys(_search_cut(word)) if p != word)
        words.append(QueryWord(word, parts))
    return words[:MAX_QUERY_WORDS]


def _holds(column: InstrumentedAttribute[str], token: str) -> ColumnElement[bool]:
    return column.contains(f" {token} ", autoescape=True)


def matches(column: InstrumentedAttribute[str], query: str | None) -> ColumnElement[bool]:
    """A condition true for rows whose search text holds every word of the query."""
    words = query_words(query or "")
    if not words:
        return true()
    conditions = []
    for word in words:
        whole = _holds(column, word.word)
        if len(word.parts) > 1:
            conditions.append(or_(whole, and_(*(_holds(column, p) for p in word.parts))))
        else:
            conditions.append(whole)
    return and_(*conditions)
