"""Tables of this part (see the context's service modules)."""

from __future__ import annotations
