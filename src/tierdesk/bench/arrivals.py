"""When generated tickets arrive: weekday and hour seasonality, growth, and incident bursts.

Arrival times are a deterministic function of the ticket's index, so any worker can compute
the time of ticket ``i`` without seeing the others, and times grow with the index (ids are
assigned in arrival order, as in a real desk).
"""

from __future__ import annotations

import bisect
import random
import time
from dataclasses import dataclass

from tierdesk.bench import vocab

# Monday first. A desk sees most work early in the week and little at weekends.
WEEKDAY_WEIGHT = (1.25, 1.15, 1.1, 1.05, 0.95, 0.25, 0.15)
# By local hour (the desk's own zone, about UTC+1): office hours dominate.
HOUR_WEIGHT = (
    0.06,
    0.05,
    0.05,
    0.05,
    0.06,
    0.1,
    0.2,
    0.45,
    1.0,
    1.5,
    1.5,
    1.3,
    0.9,
    1.1,
    1.3,
    1.2,
    1.0,
    0.6,
    0.35,
    0.25,
    0.2,
    0.15,
    0.1,
    0.07,
)
LOCAL_OFFSET_HOURS = 1
BURST_CATEGORIES = ("email", "vpn", "network", "erp", "website", "database", "printing")


@dataclass(frozen=True)
class Burst:
    """An outage hour: many tickets about the same thing."""

    category: str
    title: str


class Arrivals:
    """``count`` arrival times between ``start`` and ``end`` (epoch seconds)."""

    def __init__(self, count: int, start: int, end: int, seed: int) -> None:
        self.count, self.start = count, start
        hours = max(1, (end - start) // 3600)
        rng = random.Random(seed)
        weights = []
        for hour in range(hours):
            moment = time.gmtime(start + hour * 3600)
            local_hour = (moment.tm_hour + LOCAL_OFFSET_HOURS) % 24
            growth = 0.7 + 0.6 * hour / hours
            noise = rng.uniform(0.8, 1.2)
            weights.append(
                WEEKDAY_WEIGHT[moment.tm_wday] * HOUR_WEIGHT[local_hour] * growth * noise
            )
        self.bursts: dict[int, Burst] = {}
        for _ in range(max(3, hours // 600)):
            hour = rng.randrange(hours)
            if weights[hour] < 0.5:  # outages are noticed when people work
                continue
            category = rng.choice(BURST_CATEGORIES)
            burst = Burst(category, vocab.title(rng, category))
            for offset, factor in ((0, 8.0), (1, 4.0)):
                if hour + offset < hours:
                    weights[hour + offset] *= factor
                    self.bursts[hour + offset] = burst
        total = sum(weights)
        running = 0.0
        self.cumulative: list[float] = []
        for weight in weights:
            running += weight
            self.cumulative.append(count * running / total)

    def hour_of(self, index: int) -> int:
        return min(bisect.bisect_right(self.cumulative, index), len(self.cumulative) - 1)

    def time_of(self, index: int) -> int:
        hour = self.hour_of(index)
        low = self.cumulative[hour - 1] if hour else 0.0
        span = self.cumulative[hour] - low
        fraction = (index - low) / span if span > 0 else 0.0
        return self.start + hour * 3600 + min(3599, int(fraction * 3600))

    def burst_of(self, index: int) -> Burst | None:
        return self.bursts.get(self.hour_of(index))
