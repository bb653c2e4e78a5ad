"""The vocabulary of the role matrix (tests/web/test_role_matrix.py): callers, outcomes, rows and
the world of objects the rows act on.

A context adds its routes' rows in ``tests/web/matrix_areas/<area>.py``: a module with
``ROWS: list[Row]`` and, when its rows need objects of their own, ``build(session, world)`` which
creates them and records their ids in ``world.ids`` / ``world.values`` under ``kind:name`` keys
(``{correction:open}`` in a URL is then filled in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PUBLIC = ("citizen", "enterprise", "enterprise2")
STAFF = ("officer", "steward", "leader", "admin", "province_admin", "fz_admin", "fz_officer")
ADMINS = ("admin", "province_admin", "fz_admin")
CALLERS = ("anonymous", *PUBLIC, *STAFF, "token")

def expect(default: str, **outcomes: str) -> dict[str, str]:
    """Outcome per caller: ``default``, then groups (public, staff, admins), then single callers."""
    result = dict.fromkeys(CALLERS, default)
    for group, members in (("public", PUBLIC), ("staff", STAFF), ("admins", ADMINS)):
        if group in outcomes:
            result.update(dict.fromkeys(members, outcomes.pop(group)))
    unknown = set(outcomes) - set(CALLERS)
    assert not unknown, unknown
    result.update(outcomes)
    return result


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the route's path template, as the app declares it
    expected: dict[str, str]
    url: str | None = None  # the URL to call, with {org:CODE}, {user:NAME}, {token:NAME} filled in
    form: dict[str, Any] | None = None
    json: dict[str, Any] | None = None
    last: bool = False  # changes the caller's own state: run after every other row
    label: str = ""

    @property
    def target(self) -> str:
        return self.url or self.route

    @property
    def is_api(self) -> bool:
        return self.route.startswith("/api/")


def page(expected: dict[str, str]) -> dict[str, str]:
    """Pages: anonymous visitors and token holders are sent to the log-in page (tokens are for the API)."""
    return {"anonymous": "login", "token": "login"} | {
        k: v for k, v in expected.items() if k not in ("anonymous", "token")
    }


def api(expected: dict[str, str]) -> dict[str, str]:
    return {"anonymous": "401"} | {k: v for k, v in expected.items() if k != "anonymous"}


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    bearer: str = ""
    data_dir: Path | None = None  # the app's data directory (where uploads are stored)

    def fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if not isinstance(value, str):
            return value

        def replace(match: re.Match[str]) -> str:
            key = f"{match.group(1)}:{match.group(2)}"
            return str(self.values[key]) if key in self.values else str(self.ids[key])

        filled = re.sub(
            r"\{([a-z_]+):([^}]+)\}", replace, value
        )
        return int(filled) if filled != value and filled.isdigit() and value.startswith("{") else filled
