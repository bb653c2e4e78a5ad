"""Events the exchange context publishes (kernel/events.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordsChanged:
    """A load wrote new or changed record versions into a resource (in this transaction).

    The versions carry ``load_id``: ``records.subjects_of_load`` lists the subjects they are
    about. A subscriber facing a large load (``rows_changed`` in the hundreds of thousands)
    should treat the resource as changed as a whole rather than subject by subject.
    """

    resource_id: int
    resource_code: str
    load_id: int
    rows_changed: int  # new plus changed versions
