"""Role-matrix rows contributed by each context (see tests/support/matrix.py)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def area_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
