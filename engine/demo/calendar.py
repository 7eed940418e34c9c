"""The demo company's calendar: the generation window, month boundaries and the seasonal demand curves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
from perfrules.engine.periods import add_months

# Chinese New Year (正月初一); Spring-Festival SKUs peak in the weeks before it.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
SEASONS = ("", "summer", "winter", "spring_festival")  # index 0 = sells all year (empty `season` cell)
OFF_SEASON = 0.03  # share of the base rate a seasonal SKU still sells out of season


@dataclass(frozen=True)
class Window:
    """The generated days ``[start, end]`` (both included), indexed 0 … days-1."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, months: int) -> Window:
        return cls(add_months(end + timedelta(days=1), -months), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day(self, index: int) -> date:
        return self.start + timedelta(days=int(index))

    def index(self, day: date) -> int:
        return (day - self.start).days

    @cached_property
    def day_strings(self) -> list[str]:
        """``YYYY-MM-DD`` of every day (plus 40 days past the end for promised dates)."""
        return [(self.start + timedelta(days=i)).isoformat() for i in range(self.days + 40)]

    @cached_property
    def weekday(self) -> np.ndarray:
        return (np.arange(self.days) + self.start.weekday()) % 7

    @cached_property
    def month_index(self) -> np.ndarray:
        """Per day: 0-based index of its calendar month within the window."""
        first = self.start.year * 12 + self.start.month - 1
        return np.array([d.year * 12 + d.month - 1 - first for d in map(self.day, range(self.days))])

    @cached_property
    def month_labels(self) -> list[str]:
        labels, day = [], date(self.start.year, self.start.month, 1)
        while day <= self.end:
            labels.append(f"{day.year:04d}-{day.month:02d}")
            day = add_months(day, 1)
        return labels

    @cached_property
    def full_months(self) -> list[int]:
        """Month indexes lying wholly inside the window."""
        counts = np.bincount(self.month_index, minlength=len(self.month_labels))
        out = []
        for m, label in enumerate(self.month_labels):
            first = date(int(label[:4]), int(label[5:]), 1)
            if counts[m] == (add_months(first, 1) - first).days:
                out.append(m)
        return out

    @cached_property
    def month_starts(self) -> list[int]:
        """Day indexes (> 0) that are the first of a month: the slow-mover lists are drawn up there."""
        return [i for i in range(1, self.days) if self.day(i).day == 1]


def season_curves(window: Window) -> np.ndarray:
    """Demand multiplier per season (rows in :data:`SEASONS` order) and day, average ≈ 1 over a year."""
    days = [window.day(i) for i in range(window.days)]
    month = np.array([d.month for d in days])
    curves = np.ones((len(SEASONS), window.days))
    curves[1] = np.where(np.isin(month, (6, 7, 8)), 3.6, OFF_SEASON)
    curves[2] = np.where(np.isin(month, (11, 12, 1, 2)), 2.7, OFF_SEASON)
    to_festival = np.array([_days_to_festival(d) for d in days])
    curves[3] = np.where((to_festival >= 0) & (to_festival < 40), 8.0, OFF_SEASON)
    return curves


def _days_to_festival(day: date) -> int:
    festival = SPRING_FESTIVAL.get(day.year, date(day.year, 2, 1))
    if festival < day:
        festival = SPRING_FESTIVAL.get(day.year + 1, date(day.year + 1, 2, 1))
    return (festival - day).days


def promotion_curve(window: Window) -> np.ndarray:
    """Platform-wide shopping festivals (618, Double 11, Double 12) and a mild weekend lift."""
    lift = np.where(window.weekday >= 5, 1.15, 0.94)
    for i in range(window.days):
        d = window.day(i)
        if (d.month, d.day) in ((6, 16), (6, 17), (6, 18), (11, 10), (11, 11), (12, 12)):
            lift[i] *= 3.5 if d.day in (11, 18) else 2.0
    return lift
