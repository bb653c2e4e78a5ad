"""The one source of the current time, so tests can move it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock that can be frozen or shifted (tests, simulations)."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def today(self) -> date:
        """Today's date in the platform's local time zone."""
        return self.now().astimezone(LOCAL_ZONE).date()

    def freeze(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("freeze() needs a timezone-aware datetime")
        self._frozen = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta()


clock = Clock()


def now() -> datetime:
    return clock.now()


def today() -> date:
    return clock.today()
