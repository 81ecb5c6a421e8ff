"""Business-time arithmetic by table lookup, for generating millions of due times.

A :class:`Timeline` samples a calendar once over a window through the public functions of
:mod:`tierdesk.slas.calendar` (hour by hour, minute by minute where an hour is partly open)
and stores the cumulative business seconds at each change of rate. ``add`` and ``between``
are then two bisections instead of a walk over calendar days, and give the same answers as
the calendar module inside the window (outside it they defer to the calendar module).
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from tierdesk.slas.calendar import BusinessCalendar, add_business_seconds, business_seconds_between

HOUR = 3600


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Timeline:
    def __init__(self, calendar: BusinessCalendar, start: int, end: int) -> None:
        self.calendar = calendar
        self.start = start - start % HOUR
        self.end = end
        times, totals = [self.start], [0]
        rates: list[int] = []
        total = 0

        def extend(cell_start: int, length: int, business: int) -> None:
            nonlocal total
            rate = 1 if business == length else 0
            if rates and rates[-1] == rate:
                times[-1] = cell_start + length
            else:
                rates.append(rate)
                times.append(cell_start + length)
                totals.append(total)
            total += business
            totals[-1] = total

        moment = self.start
        while moment < end:
            business = business_seconds_between(calendar, _at(moment), _at(moment + HOUR))
            if business in (0, HOUR):
                extend(moment, HOUR, business)
            else:
                for minute in range(moment, moment + HOUR, 60):
                    extend(
                        minute,
                        60,
                        business_seconds_between(calendar, _at(minute), _at(minute + 60)),
                    )
            moment += HOUR
        self.times, self.totals = times, totals

    def _cumulative(self, ts: int) -> int:
        index = bisect.bisect_right(self.times, ts) - 1
        base, cell_start = self.totals[index], self.times[index]
        if index + 1 < len(self.times):
            open_cell = self.totals[index + 1] - base == self.times[index + 1] - cell_start
            return base + (ts - cell_start if open_cell else 0)
        return base

    def _inside(self, ts: int) -> bool:
        return self.start <= ts < self.times[-1]

    def between(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        if not (self._inside(start) and self._inside(end)):
            return business_seconds_between(self.calendar, _at(start), _at(end))
        return self._cumulative(end) - self._cumulative(start)

    def add(self, start: int, seconds: int) -> int:
        if seconds == 0:
            return start
        target = self._cumulative(start) + seconds if self._inside(start) else -1
        if target < 0 or target > self.totals[-1]:
            return int(add_business_seconds(self.calendar, _at(start), seconds).timestamp())
        index = bisect.bisect_left(self.totals, target)
        if self.totals[index] == target:
            return self.times[index]
        return self.times[index - 1] + (target - self.totals[index - 1])
