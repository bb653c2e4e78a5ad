"""The population engine: many items over every enterprise of a columnar snapshot at once.

Real policies share atoms ("registered in the city", "no serious violation", popular
thresholds), so ``match`` first collects the distinct atoms of all items (by
``ast.canonical_key``) and decides each one a single time over the columns, as two packed
bitmaps of uint64 words: *true* and *false* (neither: unknown). Each item's condition is then
combined from those words with Kleene and/or/not (and: T = ∧T, F = ∨F; or: T = ∨T, F = ∧F;
not: swap), which costs a few word operations per 64 enterprises. Only the rows that are not
false — eligible or likely — are kept; for them the amount interval is computed (§5, two
passes when the amount has ``up_to``), the status decided and, per match, a uint64 mask of the
item's atoms that stand in the way recorded for explanations and near misses: bit i (atom i of
``ast.atoms(condition)``; atoms past the 63rd share bit 63) is set when the atom is unknown, or
false — true for an atom that appears under ``not`` (未列入严重失信名单 stands in the way when the
enterprise *is* on the list).

Within/in on region, industry and code columns is decided per distinct value of the
dictionary-encoded column (a bitmap per value, ORed). Atoms and items are spread over two
threads (NumPy releases the GIL in its loops). The amount of an item without an amount formula
is 0 in the arrays (``has_amount`` False); the evaluator says None, SQL NULL.

The meaning of every node is docs/rules.md; ``population_atoms`` evaluates values and
conditions over the columns, ``population_amounts`` the amount intervals.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray

from tongban.profiles.attributes import AttributeRegistry, builtin_registry
from tongban.rules import ast
from tongban.rules.population_amounts import amount
from tongban.rules.population_atoms import Env, band, coded_hits, condition_of
from tongban.rules.population_columns import BoolArray, Columns

Words = NDArray[np.uint64]

ELIGIBLE, LIKELY, INELIGIBLE = 2, 1, 0
MAX_MASK_BITS = 64


@dataclass
class ItemMatches:
    """The matches of one item: parallel arrays over the enterprises that are not ineligible."""

    atoms: list[ast.Node]  # the item's atoms; bit i of open_atoms is atoms[i]
    rows: NDArray[np.int32]  # row index in the table
    status: NDArray[np.int8]  # 2 eligible, 1 likely
    amount_low: NDArray[np.int64]  # fen
    amount_high: NDArray[np.int64]  # fen, -1 unbounded
    open_atoms: NDArray[np.uint64]  # bit i set: atom i stands in the way (see _open_atoms)
    has_amount: bool = True  # False: the item has no amount formula (amounts are 0)

    def __len__(self) -> int:
        return len(self.rows)


Match = tuple[str, int, int, int, int | None, tuple[int, ...]]


@dataclass
class PopulationResult:
    """Per item, its matches. ``n`` is the number of rows in the table."""

    n: int
    items: dict[str, ItemMatches]

    def total(self) -> int:
        return sum(len(m) for m in self.items.values())

    def matches(self) -> Iterator[Match]:
        """(item, row, status, low, high or None, indices of open atoms), item by item."""
        for name, found in self.items.items():
            for row, status, low, high, mask in zip(
                found.rows.tolist(),
                found.status.tolist(),
                found.amount_low.tolist(),
                found.amount_high.tolist(),
                found.open_atoms.tolist(),
                strict=True,
            ):
                opened = tuple(i for i in range(min(len(found.atoms), MAX_MASK_BITS)) if mask >> i & 1)
                yield name, row, status, low, (None if high < 0 else high), opened

    def for_row(self, row: int) -> dict[str, tuple[int, int, int | None]]:
        """Status and amount of every matched item of one row (slow; for tests)."""
        out: dict[str, tuple[int, int, int | None]] = {}
        for name, found in self.items.items():
            hit = np.flatnonzero(found.rows == row)
            if len(hit):
                i = int(hit[0])
                high = int(found.amount_high[i])
                out[name] = (int(found.status[i]), int(found.amount_low[i]), None if high < 0 else high)
        return out

    def eligible(self, item: str) -> set[int]:
        found = self.items[item]
        return set(found.rows[found.status == ELIGIBLE].tolist())


def pack(mask: BoolArray) -> Words:
    """A boolean array as little-endian bitmap words (bit j of word i is row 64·i + j)."""
    packed = np.packbits(mask, bitorder="little")
    pad = (-len(packed)) % 8
    if pad:
        packed = np.concatenate([packed, np.zeros(pad, dtype=np.uint8)])
    return packed.view(np.uint64)


def rows_of(words: Words, n: int) -> NDArray[np.int64]:
    """Indices of the set bits (below n); only the non-zero words are unpacked."""
    nonzero = np.flatnonzero(words)
    if len(nonzero) == 0:
        return np.zeros(0, dtype=np.int64)
    bits = np.unpackbits(words[nonzero].view(np.uint8), bitorder="little").view(np.bool_)
    where = np.flatnonzero(bits)
    rows: NDArray[np.int64] = (nonzero[where >> 6] << 6) | (where & 63)
    return rows[rows < n] if n % 64 else rows


class _Bits:
    """Word index and shift of a set of rows, to read one bit per row from many bitmaps."""

    def __init__(self, rows: NDArray[np.int64]) -> None:
        self.word = rows >> 6
        self.shift = (rows & 63).astype(np.uint64)

    def of(self, words: Words) -> NDArray[np.uint64]:
        """Bit of each row, as 0/1 uint64."""
        result: NDArray[np.uint64] = (words[self.word] >> self.shift) & np.uint64(1)
        return result


class _Decided:
    """The packed true/false bitmaps of every distinct atom."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.true: dict[str, Words] = {}
        self.false: dict[str, Words] = {}
        self.keys: dict[int, str] = {}  # id(atom node) → canonical key
        words = (env.size + 63) // 64
        self.tail = np.full(words, np.iinfo(np.uint64).max, dtype=np.uint64)  # the rows that exist
        if env.size % 64:
            self.tail[-1] = np.uint64((1 << (env.size % 64)) - 1)
        self.values: dict[tuple[str, int], Words] = {}  # (column, distinct value) → its rows; -1: known

    def key(self, node: ast.Node) -> str:
        found = self.keys.get(id(node))
        if found is None:
            found = self.keys[id(node)] = ast.canonical_key(node)
        return found

    def decide(self, key: str, node: ast.Node) -> None:
        coded = self._coded(node)
        if coded is not None:
            self.true[key], self.false[key] = coded
            return
        t, k = condition_of(node, self.env)
        size = (self.env.size,)
        self.true[key] = pack(np.broadcast_to(t, size))
        if len(k) == 1 and k[0]:  # decided everywhere: false is not true
            self.false[key] = ~self.true[key] & self.tail
        else:
            self.false[key] = pack(np.broadcast_to(band(k, ~t), size))

    def _coded(self, node: ast.Node) -> tuple[Words, Words] | None:
        """within/in as the OR of one bitmap per passing distinct value (computed once per
        value and shared), when few values pass; None to decide it the general way."""
        if not isinstance(node, ast.Within | ast.In) or not isinstance(node.value, ast.Attr):
            return None
        column, hits = coded_hits(
            self.env, node.value.key, node.value.period, node.codes, isinstance(node, ast.In)
        )
        passing = [i for i, hit in enumerate(hits) if hit]
        indices = self.env.cols.dictionary(column)[1]
        if sum((column, i) not in self.values for i in passing) > 8:
            return None
        t = np.zeros((self.env.size + 63) // 64, dtype=np.uint64)
        for i in passing:
            words = self.values.get((column, i))
            if words is None:
                words = self.values[(column, i)] = pack(indices == i)
            t = t | words
        known = self.values.get((column, -1))
        if known is None:
            known = self.values[(column, -1)] = pack(indices >= 0)
        return t, known & ~t

    def combine(self, node: ast.Node) -> tuple[Words, Words]:
        """(true, false) words of a condition from its atoms' words."""
        match node:
            case ast.And(args=args):
                t, f = self.combine(args[0])
                for arg in args[1:]:
                    t2, f2 = self.combine(arg)
                    t, f = t & t2, f | f2
                return t, f
            case ast.Or(args=args):
                t, f = self.combine(args[0])
                for arg in args[1:]:
                    t2, f2 = self.combine(arg)
                    t, f = t | t2, f & f2
                return t, f
            case ast.Not(arg=arg):
                t, f = self.combine(arg)
                return f, t
        key = self.key(node)
        return self.true[key], self.false[key]


def polarities(condition: ast.Node) -> tuple[list[ast.Node], list[str], list[bool], bool]:
    """The condition's atoms (as ``ast.atoms``) with their canonical keys, whether each first
    appears under an even number of ``not`` (it helps the item when true), and whether the
    condition is a plain conjunction of atoms and negated atoms (then an eligible row has no
    open atom)."""
    found: dict[str, tuple[ast.Node, bool]] = {}

    def visit(node: ast.Node, positive: bool) -> None:
        if isinstance(node, ast.And | ast.Or):
            for arg in node.args:
                visit(arg, positive)
        elif isinstance(node, ast.Not):
            visit(node.arg, not positive)
        else:
            found.setdefault(ast.canonical_key(node), (node, positive))

    visit(condition, True)
    args = condition.args if isinstance(condition, ast.And) else (condition,)
    flat = all(
        not isinstance(a.arg if isinstance(a, ast.Not) else a, ast.And | ast.Or | ast.Not) for a in args
    )
    return [node for node, _ in found.values()], list(found), [p for _, p in found.values()], flat


def _contains_up_to(node: ast.Node | None) -> bool:
    return node is not None and any(isinstance(n, ast.UpTo) for n in ast.walk(node))


def match(
    rules: Mapping[str, ast.Rule],
    table: pa.Table,
    at: date,
    registry: AttributeRegistry | None = None,
    *,
    workers: int | None = None,
) -> PopulationResult:
    """Every item over every row of ``table`` (columns in the ``rules.columns`` layout).

    Rules must be type-checked (codes resolved). Only eligible and likely matches are kept.
    ``workers`` threads decide atoms and combine items (NumPy releases the GIL in its loops);
    default: up to two, the benchmark machine's cores.
    """
    registry = registry or builtin_registry()
    n = table.num_rows
    env = Env(Columns(table, n), at, registry, cache={})
    decided = _Decided(env)
    plans: dict[str, tuple[list[ast.Node], list[str], list[bool], bool]] = {}
    distinct: dict[str, ast.Node] = {}
    for name, rule in rules.items():
        atoms, keys, positive, flat = polarities(rule.condition)
        decided.keys.update((id(a), k) for a, k in zip(atoms, keys, strict=True))
        plans[name] = (atoms, keys, positive, flat)
        for key, node in zip(keys, atoms, strict=True):
            distinct.setdefault(key, node)

    tail = decided.tail

    def one(name: str) -> ItemMatches:
        rule = rules[name]
        atoms, keys, positive, flat = plans[name]
        t, f = decided.combine(rule.condition)
        rows = rows_of(~f & tail, n)
        is_true = _Bits(rows).of(t).astype(np.bool_)
        status = np.where(is_true, np.int8(ELIGIBLE), np.int8(LIKELY))
        low, high = _amounts(rule.amount, env, rows, is_true, status)
        return ItemMatches(
            atoms,
            rows.astype(np.int32),
            status,
            low,
            high,
            _open_atoms(decided, keys, positive, flat, rows, is_true),
            rule.amount is not None,
        )

    threads = workers if workers is not None else min(2, os.cpu_count() or 1)
    if threads > 1 and n >= 50_000:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda kv: decided.decide(*kv), distinct.items()))
            found = list(pool.map(one, rules))
    else:
        for key, node in distinct.items():
            decided.decide(key, node)
        found = [one(name) for name in rules]
    return PopulationResult(n, dict(zip(rules, found, strict=True)))


def _amounts(
    formula: ast.Node | None,
    env: Env,
    rows: NDArray[np.int64],
    is_true: BoolArray,
    status: NDArray[np.int8],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The amount interval of each matched row; demotes to likely an eligible row whose amount
    (with up_to read as its cap) is not a single point (§5)."""
    if formula is None or not len(rows):
        zero = np.zeros(len(rows), dtype=np.int64)
        return zero, zero.copy()
    low, high = amount(formula, env.subset(rows))
    if _contains_up_to(formula):
        true_rows = np.flatnonzero(is_true)
        plo, phi = amount(formula, env.subset(rows[true_rows]), cap_as_point=True)
        point = np.zeros(len(rows), dtype=np.bool_)
        point[true_rows] = plo == phi
    else:
        point = low == high
    status[is_true & ~point] = LIKELY
    return low, high


def _open_atoms(
    decided: _Decided,
    keys: list[str],
    positive: list[bool],
    flat: bool,
    rows: NDArray[np.int64],
    is_true: BoolArray,
) -> NDArray[np.uint64]:
    """Per matched row, bit i set when atom i stands in the way: unknown, or false (true for
    an atom under ``not``)."""
    mask = np.zeros(len(rows), dtype=np.uint64)
    if flat:  # a conjunction that holds has every atom in its favour
        todo = np.flatnonzero(~is_true)
        if not len(todo):
            return mask
        rows = rows[todo]
    else:
        todo = None
    bits = _Bits(rows)
    out = np.zeros(len(rows), dtype=np.uint64)
    for i, (key, pos) in enumerate(zip(keys, positive, strict=True)):
        helps = bits.of(decided.true[key] if pos else decided.false[key])
        out |= (helps ^ np.uint64(1)) << np.uint64(min(i, MAX_MASK_BITS - 1))
    if todo is None:
        return out
    mask[todo] = out
    return mask
