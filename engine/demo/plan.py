"""The company's behaviour over the window, drawn before any stock moves: when each slow-mover list is handed
in and how good it is, how much of each list operations digests, when the weekly tracking and the capital
report arrive, and who counts stock on which day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from perfrules.engine.demo.calendar import Window
from perfrules.engine.demo.organisation import HABITS, KEEPERS, MISCOUNT, PURCHASERS, ROSTER, active_to

WORKDAY_START = 9 * 3600


@dataclass(frozen=True)
class Plan:
    """Deliverable calendar and quality, per purchaser (rows, :data:`PURCHASERS` order) and month start."""

    boundaries: np.ndarray  # day index of each month start where a list is drawn up (covers the month before)
    list_day: np.ndarray  # (purchasers, boundaries): day index handed in; -1 = missing or after the window
    list_sec: np.ndarray  # second of the day handed in
    omit: np.ndarray  # (purchasers, boundaries): share of slow movers left off the list
    misclassify: np.ndarray  # share of listed SKUs with the wrong class
    digest: np.ndarray  # (boundaries,): share of listed structural SKUs operations disposes of by the 20th
    capital_day: np.ndarray  # (boundaries,): day the capital report is handed in, -1 = missing
    capital_booked: np.ndarray  # (boundaries,): impairment accounted in the report
    week_starts: np.ndarray  # Monday of each tracked week (day index, may be < 0 for a week cut by the start)
    tracking_day: np.ndarray  # (purchasers, weeks): day handed in, -1 = missing
    keeper_of_day: np.ndarray  # (days, 3): the keepers on duty (index into KEEPERS), for count assignments
    miscount: np.ndarray  # (keepers,) probability that a count differs from the books


def draw_plan(rng: np.random.Generator, window: Window) -> Plan:
    boundaries = np.array(window.month_starts, dtype=np.int64)
    nb, npur = len(boundaries), len(PURCHASERS)
    list_day = np.full((npur, nb), -1, dtype=np.int64)
    omit = np.zeros((npur, nb))
    misclassify = np.zeros((npur, nb))
    for p, person in enumerate(PURCHASERS):
        h = HABITS[person]
        late = rng.random(nb) < h.late
        offset = np.where(late, rng.integers(5, 11, nb), rng.integers(0, 4, nb))  # due on day 4 (the 5th)
        day = boundaries + offset
        missing = (rng.random(nb) < h.missing) | (day >= window.days)
        list_day[p] = np.where(missing, -1, day)
        omit[p] = np.where(rng.random(nb) < h.incomplete, rng.uniform(0.1, 0.35, nb), 0.0)
        misclassify[p] = np.where(rng.random(nb) < h.misclassified, rng.uniform(0.15, 0.5, nb), 0.0)
    if nb >= 3:  # every demo shows at least one late and one missing list
        if not (list_day[0] > boundaries + 4).any():
            list_day[0, 1] = boundaries[1] + 6
        if not (list_day < 0).any():
            list_day[0, nb - 2] = -1
    later_half = boundaries >= window.days // 2  # the second year is better disciplined
    digest = np.where(later_half, rng.uniform(0.8, 1.0, nb), rng.uniform(0.55, 1.0, nb))

    capital_late = rng.random(nb) < 0.2
    capital_day = boundaries + np.where(capital_late, rng.integers(10, 16, nb), rng.integers(4, 9, nb))
    capital_day[(rng.random(nb) < 0.05) | (capital_day >= window.days)] = -1

    if nb >= 3 and not (capital_day > boundaries + 9).any():
        capital_day[nb // 2] = boundaries[nb // 2] + 11

    first_monday = -int(window.start.weekday())
    week_starts = np.arange(first_monday, window.days, 7, dtype=np.int64)
    nw = len(week_starts)
    tracking_day = np.full((npur, nw), -1, dtype=np.int64)
    for p, person in enumerate(PURCHASERS):
        h = HABITS[person]
        late = rng.random(nw) < h.tracking_late
        day = week_starts + np.where(late, rng.integers(7, 9, nw), 4)  # Friday, or Monday/Tuesday after
        missing = (rng.random(nw) < h.tracking_missing) | (day >= window.days) | (day < 0)
        tracking_day[p] = np.where(missing, -1, day)

    return Plan(
        boundaries=boundaries,
        list_day=list_day,
        list_sec=rng.integers(WORKDAY_START, 18 * 3600, (npur, nb)),
        omit=omit,
        misclassify=misclassify,
        digest=digest,
        capital_day=capital_day,
        capital_booked=rng.random(nb) > 0.15,
        week_starts=week_starts,
        tracking_day=tracking_day,
        keeper_of_day=_keeper_rota(window),
        miscount=np.array([MISCOUNT[k] for k in KEEPERS]),
    )


def _keeper_rota(window: Window) -> np.ndarray:
    """Three keepers are on the books each day: the one who leaves is replaced by the one who joins."""
    by_id = {p.id: p for p in ROSTER}
    leaver = next(k for k in KEEPERS if by_id[k].leaves is not None)
    last = active_to(by_id[leaver], window.start)
    cut = window.index(last) + 1 if last is not None else window.days
    before = [KEEPERS.index(k) for k in KEEPERS if by_id[k].joins is None]
    after = [KEEPERS.index(k) for k in KEEPERS if by_id[k].leaves is None]
    rota = np.empty((window.days, 3), dtype=np.int64)
    rota[: max(cut, 0)] = before[:3]
    rota[max(cut, 0) :] = after[:3]
    return rota
