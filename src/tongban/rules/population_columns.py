"""Column access for the population engine: the Arrow columns of a snapshot as NumPy arrays,
converted once and shared by every atom, and the code hierarchy of dictionary-encoded region and
industry columns (``rules.columns`` describes the layout).

A numeric column becomes its values (0 where null; no copy where Arrow's buffer can be read
directly) and a valid mask, the one-element ``[True]`` when it has no nulls. A string column
becomes its distinct values and one int32 index per row (-1 for null), so that a predicate on
codes is decided once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from numpy.typing import NDArray

from tongban.kernel.codes import industries, regions
from tongban.profiles.attributes import Attribute, AttributeType

BoolArray = NDArray[np.bool_]


@dataclass
class Columns:
    """Column arrays of the whole table as NumPy, converted once and shared by every atom."""

    table: pa.Table
    n: int
    numeric: dict[str, tuple[NDArray[Any], BoolArray]] = field(default_factory=dict)
    codes: dict[str, tuple[list[str | None], NDArray[np.int32]]] = field(default_factory=dict)
    lineage: dict[str, list[frozenset[str]]] = field(default_factory=dict)  # ancestors per distinct value

    def has(self, name: str) -> bool:
        return name in self.table.column_names

    def column(self, name: str) -> tuple[NDArray[Any], BoolArray]:
        """Values (0 where null) and the valid mask; a missing column is all unknown. A column
        without nulls has the one-element mask [True], which broadcasts."""
        found = self.numeric.get(name)
        if found is not None:
            return found
        if not self.has(name):
            found = (np.zeros(self.n, dtype=np.int64), np.zeros(1, dtype=np.bool_))
        else:
            chunked = self.table.column(name)
            arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_decode()
            if pa.types.is_date(arr.type):
                arr = arr.cast(pa.date32()).view(pa.int32())
            elif pa.types.is_integer(arr.type):
                arr = arr.cast(pa.int64())
            elif pa.types.is_floating(arr.type):
                arr = arr.cast(pa.float64())
            elif not pa.types.is_boolean(arr.type):
                raise TypeError(f"column {name!r} of type {arr.type} is not numeric")
            found = _numpy(arr)
        self.numeric[name] = found
        return found

    def dictionary(self, name: str) -> tuple[list[str | None], NDArray[np.int32]]:
        """Distinct values of a string column and, per row, the index of its value (-1: null)."""
        found = self.codes.get(name)
        if found is not None:
            return found
        if not self.has(name):
            found = ([], np.full(self.n, -1, dtype=np.int32))
        else:
            chunked = self.table.column(name)
            if pa.types.is_dictionary(chunked.type):
                chunked = chunked.unify_dictionaries()
            arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
            if not pa.types.is_dictionary(arr.type):
                arr = pc.dictionary_encode(arr)
            indices = arr.indices.cast(pa.int32()).fill_null(-1)
            found = (arr.dictionary.to_pylist(), np.asarray(indices.to_numpy(zero_copy_only=False)))
        self.codes[name] = found
        return found


def _numpy(arr: pa.Array) -> tuple[NDArray[Any], BoolArray]:
    """A primitive Arrow array as NumPy without copying where possible: values (0 where null)
    and the valid mask ([True] when there are no nulls)."""
    n = len(arr)
    if pa.types.is_boolean(arr.type):
        valid = (
            np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))
            if arr.null_count
            else np.ones(1, np.bool_)
        )
        return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.bool_), valid
    dtype = np.dtype(arr.type.to_pandas_dtype())
    validity, data = arr.buffers()[:2]
    values = (
        np.frombuffer(data, dtype=dtype, count=n, offset=arr.offset * dtype.itemsize)
        if n
        else np.zeros(0, dtype)
    )
    if not arr.null_count:
        return values, np.ones(1, dtype=np.bool_)
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    valid = bits[arr.offset : arr.offset + n].view(np.bool_)
    return np.where(valid, values, 0).astype(dtype, copy=False), valid


def ancestors(attribute: Attribute, code: str) -> frozenset[str]:
    """The codes a value lies within, itself included (normalised): 350203 → 350000, 350200,
    350203; 3911 → C, 39, 391, 3911."""
    if attribute.type is AttributeType.REGION:
        normal = regions.normalise(code)
        return frozenset() if normal is None else frozenset({normal[:2] + "0000", normal[:4] + "00", normal})
    if attribute.type is AttributeType.INDUSTRY:
        normal = industries.normalise(code)
        if normal is None:
            return frozenset()
        section = industries.section_of(normal)
        digits = {normal[:k] for k in range(2, len(normal) + 1)} if normal.isdigit() else set()
        return frozenset(digits | ({section} if section else set()))
    return frozenset({code})


def wanted_codes(attribute: Attribute, codes: tuple[str, ...]) -> frozenset[str]:
    """The codes of a within test, normalised like ``ancestors``."""
    if attribute.type is AttributeType.REGION:
        return frozenset(n for n in (regions.normalise(c) for c in codes) if n is not None)
    if attribute.type is AttributeType.INDUSTRY:
        return frozenset(n for n in (industries.normalise(c) for c in codes) if n is not None)
    return frozenset(codes)
