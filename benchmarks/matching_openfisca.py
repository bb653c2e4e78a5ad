"""The OpenFisca baselines of benchmarks/matching.py: the same items as OpenFisca-core variables.

One entity (enterprise); one input variable per column (``revenue@2024`` → ``revenue_2024``);
formulas are plain NumPy over the inputs, written the way a modeller writes a clause
(``enterprise("revenue_2024", period) >= 2_000_000_000``), boolean eligibility only. OpenFisca
has no unknowns, so the data must be complete: the benchmark generates it without missing
values. A tag's missing ``since`` (the enterprise does not hold it) and missing ``until``
(open-ended) are given as 9999-12-31, which decides ``has``/``gained`` the same way.

``items``: one variable per item, its formula evaluating every clause inline.
``atoms``: one variable per distinct atom (OpenFisca caches computed variables, so a shared
atom is computed once) and item variables combining them with & | ~.

Money inputs are int64 (OpenFisca's ``int`` is int32 and ``float`` float32, which cannot hold
fen exactly; the variable's dtype is set to int64 after it is declared).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from numpy.typing import NDArray
from openfisca_core import entities, periods
from openfisca_core.simulations import SimulationBuilder  # type: ignore[import-untyped]
from openfisca_core.taxbenefitsystems import TaxBenefitSystem  # type: ignore[import-untyped]
from openfisca_core.variables import Variable  # type: ignore[import-untyped]

from tongban.kernel.codes import industries, regions
from tongban.profiles.attributes import AttributeRegistry, AttributeType
from tongban.rules import ast
from tongban.rules.columns import HISTORY_YEARS, tag_since, tag_until, yearly
from tongban.rules.population_atoms import literal_for, unit_of

Get = Callable[[str], NDArray[Any]]
FAR = np.datetime64("9999-12-31", "D")


def var_name(column: str) -> str:
    return column.replace("@", "_").replace("#", "__").replace(".", "__")


class NumpyClauses:
    """Conditions as NumPy expressions over complete inputs (no unknowns)."""

    def __init__(self, registry: AttributeRegistry, at: date, available: set[str]) -> None:
        self.registry, self.at, self.available = registry, at, available

    def col(self, key: str, period: int | None, year: int | None) -> str:
        if not self.registry[key].yearly:
            return key
        if period is not None:
            return yearly(key, self.at.year + period)
        assert year is not None, "a yearly attribute without a period outside a per-year construct"
        return yearly(key, year)

    def value(self, node: ast.Node, get: Get, year: int | None, unit: str | None = None) -> Any:
        match node:
            case ast.Attr(key=key, period=period):
                return get(self.col(key, period, year))
            case ast.Number(value=v):
                return literal_for(v, unit)
            case ast.Percent() as p:
                return float(p.ratio)
            case ast.Arith(operator="/", left=a, right=b):
                x = np.asarray(self.value(a, get, year), dtype=np.float64)
                y = np.asarray(self.value(b, get, year), dtype=np.float64)
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.where(y != 0, x / np.where(y != 0, y, 1.0), np.nan)
            case ast.Growth(key=key, period=p, base=b):
                cur, old = get(self.col(key, p, None)), get(self.col(key, b, None))
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.where(old > 0, (cur - old) / np.where(old > 0, old, 1), np.nan)
            case ast.YearsSince(arg=arg):
                d = self.value(arg, get, year).astype("datetime64[D]")
                y = d.astype("datetime64[Y]").astype(np.int64) + 1970
                m = d.astype("datetime64[M]")
                month = (m - d.astype("datetime64[Y]")).astype(np.int64) + 1
                day = (d - m).astype(np.int64) + 1
                before = (self.at.month < month) | ((self.at.month == month) & (self.at.day < day))
                return self.at.year - y - before
            case ast.SumYears(key=key, window=w):
                return sum(get(yearly(key, self.at.year + o)) for o in w.offsets())
            case ast.CountYears(condition=c, window=w):
                return sum(self.test(c, get, self.at.year + o).astype(np.int64) for o in w.offsets())
        raise NotImplementedError(ast.to_json(node))

    def test(self, node: ast.Node, get: Get, year: int | None = None) -> NDArray[np.bool_]:
        match node:
            case ast.And(args=args):
                out = self.test(args[0], get, year)
                for a in args[1:]:
                    out = out & self.test(a, get, year)
                return out
            case ast.Or(args=args):
                out = self.test(args[0], get, year)
                for a in args[1:]:
                    out = out | self.test(a, get, year)
                return out
            case ast.Not(arg=arg):
                return ~self.test(arg, get, year)
            case ast.Attr():
                return np.asarray(self.value(node, get, year), dtype=np.bool_)
            case ast.Compare(operator=op, left=left, right=right):
                lu, ru = unit_of(left, self.registry), unit_of(right, self.registry)
                a, b = self.value(left, get, year, ru), self.value(right, get, year, lu)
                with np.errstate(invalid="ignore"):
                    result = {
                        "<": np.less,
                        "<=": np.less_equal,
                        ">": np.greater,
                        ">=": np.greater_equal,
                        "=": np.equal,
                        "!=": np.not_equal,
                    }[op](a, b)
                if op == "!=":
                    result = result & ~(np.isnan(a) if np.asarray(a).dtype.kind == "f" else False)
                return np.asarray(result, dtype=np.bool_)
            case ast.Within(value=ast.Attr(key=key, period=period), codes=codes):
                v = get(self.col(key, period, year))
                if self.registry[key].type is AttributeType.REGION:
                    out = np.zeros(len(v), dtype=np.bool_)
                    for code in codes:
                        prefix = regions.prefix_of(code)
                        out |= v.astype(f"<U{len(prefix)}") == prefix
                    return out
                wanted: list[str] = []
                for code in codes:  # a section is the list of its divisions
                    wanted += (
                        [f"{d:02d}" for d in range(1, 100) if industries.is_within(f"{d:02d}", code)]
                        if code.isalpha()
                        else [code]
                    )
                return (
                    np.isin(v.astype("<U2"), [w for w in wanted if len(w) == 2])
                    | np.isin(v.astype("<U3"), [w for w in wanted if len(w) == 3])
                    | np.isin(v, [w for w in wanted if len(w) == 4])
                )
            case ast.In(value=ast.Attr(key=key, period=period), codes=codes):
                return np.isin(get(self.col(key, period, year)), list(codes))
            case ast.Has(key=key, tag=tag):
                day = np.datetime64(self.at, "D")
                since = get(tag_since(key, tag))
                until = get(tag_until(key, tag)) if tag_until(key, tag) in self.available else FAR
                return np.asarray((since <= day) & (day <= until), dtype=np.bool_)
            case ast.Gained(key=key, tag=tag, window=w):
                since_year = get(tag_since(key, tag)).astype("datetime64[Y]").astype(np.int64) + 1970
                inside = (since_year >= self.at.year + w.start) & (since_year <= self.at.year + w.end)
                return np.asarray(inside, dtype=np.bool_)
            case ast.AllYears(condition=c, window=w):
                return np.asarray(
                    np.logical_and.reduce([self.test(c, get, self.at.year + o) for o in w.offsets()]),
                    dtype=np.bool_,
                )
            case ast.AnyYear(condition=c, window=w):
                return np.asarray(
                    np.logical_or.reduce([self.test(c, get, self.at.year + o) for o in w.offsets()]),
                    dtype=np.bool_,
                )
            case ast.FirstTime(condition=c, period=p):
                key = next(
                    n.key for n in ast.walk(c) if isinstance(n, ast.Attr) and self.registry[n.key].yearly
                )
                target = self.at.year + p
                years = [
                    y for y in range(self.at.year - HISTORY_YEARS, target) if yearly(key, y) in self.available
                ]
                out = self.test(c, get, target)
                for y in years:
                    out = out & ~self.test(c, get, y)
                return out
            case ast.Between(value=v, low=lo, high=hi):
                u = unit_of(v, self.registry)
                x = self.value(v, get, year)
                inside = (self.value(lo, get, year, u) <= x) & (x <= self.value(hi, get, year, u))
                return np.asarray(inside, dtype=np.bool_)
            case ast.BoolLiteral(value=b):
                return np.full(len(get(next(iter(sorted(self.available))))), b)
        raise NotImplementedError(ast.to_json(node))


def system(
    table: pa.Table, rules: Mapping[str, ast.Rule], registry: AttributeRegistry, at: date, shared_atoms: bool
) -> tuple[Any, list[str]]:
    """A TaxBenefitSystem with the inputs and item variables, and the item variable names."""
    ent = entities.build_entity(key="enterprise", plural="enterprises", label="enterprise", is_person=True)
    tbs = TaxBenefitSystem([ent])
    available = set(table.column_names)
    clauses = NumpyClauses(registry, at, available)

    def declare(name: str, value_type: type, formula: Any = None, dtype: Any = None) -> None:
        attrs: dict[str, Any] = {
            "value_type": value_type,
            "entity": ent,
            "label": name,
            "definition_period": periods.DateUnit.YEAR,
        }
        if formula is not None:
            attrs["formula"] = formula
        tbs.add_variable(type(name, (Variable,), attrs))
        if dtype is not None:
            tbs.variables[name].dtype = dtype

    for column in table.column_names:
        t = table.schema.field(column).type
        if pa.types.is_integer(t):
            declare(var_name(column), int, dtype=np.int64)
        elif pa.types.is_floating(t):
            declare(var_name(column), float, dtype=np.float64)
        elif pa.types.is_boolean(t):
            declare(var_name(column), bool)
        elif pa.types.is_date(t):
            declare(var_name(column), date)
        else:
            declare(var_name(column), str, dtype=np.dtype("<U6"))

    def formula_of(node: ast.Node) -> Any:
        def formula(enterprise: Any, period: Any) -> NDArray[np.bool_]:
            return clauses.test(node, lambda c: enterprise(var_name(c), period))

        return formula

    names: list[str] = []
    atom_names: dict[str, str] = {}
    for i, (item, rule) in enumerate(rules.items()):
        name = f"eligible_{i:04d}"
        if not shared_atoms:
            declare(name, bool, formula_of(rule.condition))
        else:
            for atom in ast.atoms(rule.condition):
                key = ast.canonical_key(atom)
                if key not in atom_names:
                    atom_names[key] = f"atom_{len(atom_names):04d}"
                    declare(atom_names[key], bool, formula_of(atom))
            declare(name, bool, _combined(rule.condition, atom_names))
        names.append(name)
        del item
    return tbs, names


def _combined(condition: ast.Node, atom_names: dict[str, str]) -> Any:
    def combine(node: ast.Node, enterprise: Any, period: Any) -> NDArray[np.bool_]:
        match node:
            case ast.And(args=args):
                out = combine(args[0], enterprise, period)
                for a in args[1:]:
                    out = out & combine(a, enterprise, period)
                return out
            case ast.Or(args=args):
                out = combine(args[0], enterprise, period)
                for a in args[1:]:
                    out = out | combine(a, enterprise, period)
                return out
            case ast.Not(arg=arg):
                return ~combine(arg, enterprise, period)
        result: NDArray[np.bool_] = enterprise(atom_names[ast.canonical_key(node)], period)
        return result

    def formula(enterprise: Any, period: Any) -> NDArray[np.bool_]:
        return combine(condition, enterprise, period)

    return formula


def inputs(table: pa.Table) -> dict[str, NDArray[Any]]:
    """Input arrays per variable: tag dates without a value become 9999-12-31."""
    out: dict[str, NDArray[Any]] = {}
    for column in table.column_names:
        arr = table.column(column).combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if pa.types.is_date(arr.type):
            values = arr.to_numpy(zero_copy_only=False).astype("datetime64[D]")
            values[np.isnat(values)] = FAR
        elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            values = np.asarray(arr.to_numpy(zero_copy_only=False)).astype("<U6")
        else:
            if arr.null_count:
                raise ValueError(f"OpenFisca needs complete data; {column} has nulls")
            values = arr.to_numpy(zero_copy_only=False)
        out[var_name(column)] = values
    return out


def run(
    table: pa.Table,
    rules: Mapping[str, ast.Rule],
    registry: AttributeRegistry,
    at: date,
    shared_atoms: bool,
    clock: Callable[[], float],
) -> tuple[float, float, list[NDArray[np.bool_]]]:
    """Build the simulation with the inputs (untimed), then time computing every item."""
    tbs, names = system(table, rules, registry, at, shared_atoms)
    sim = SimulationBuilder().build_default_simulation(tbs, count=table.num_rows)
    period = str(at.year)
    for name, values in inputs(table).items():
        sim.set_input(name, period, values)
    start, cpu = clock(), time.process_time()
    results = [np.asarray(sim.calculate(name, period), dtype=np.bool_) for name in names]
    return clock() - start, time.process_time() - cpu, results
