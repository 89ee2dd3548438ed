"""Did the gain last? A three-way flag for approved improvements, from their dated data.

After a change settles, its process should stay stable at the improved level (NHS "Making
Data Count": re-baseline after a sustained shift, then watch for special causes). So:
weekly means of the treatment group's measurements after go-live; XmR limits from the first
half of those weeks (at least 5); a special-cause signal among the later weeks pointing the
worse way means the gain may be slipping. Fewer than 10 dated weeks after go-live, or no
dates at all: not assessable. Only weekly sums come from the database, never raw rows.
"""

from __future__ import annotations

import enum
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import Date, cast, func

from gains.extensions import db
from gains.models import Direction, Measurement, Phase, StudyGroup
from gains.services.measurements.active import active_measurements
from gains.stats.spc import xmr_chart

MIN_WEEKS = 10
MAX_KNOWN = 200_000  # remembered flags, a few hundred bytes each
MIN_BASELINE_WEEKS = 5


class Lasting(enum.StrEnum):
    HOLDING = "holding"
    SIGNAL = "signal"
    NOT_ASSESSABLE = "not_assessable"

    @property
    def label(self) -> str:
        return {
            "holding": "Holding",
            "signal": "Special-cause signal against the gain",
            "not_assessable": "Not assessable",
        }[self.value]


@dataclass(frozen=True)
class LastingCheck:
    flag: Lasting
    reason: str
    weeks: int


def week_start(day):
    """The Monday of a date's week, in SQL (each database spells it its own way), typed as a
    date so that both give Python dates (SQLite's `date()` answers ISO text)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("week", day), Date)
    return func.date(day, "weekday 0", "-6 days", type_=Date)


def _weekly_means(improvement_ids: list[int]) -> dict[int, list[tuple[date, float]]]:
    """Per improvement, (week start, mean) of after-phase treatment values, summed by the
    database week by week: a few rows per improvement reach Python, never raw rows."""
    week = week_start(Measurement.observed_on).label("week")
    stmt = (
        active_measurements(
            Measurement.improvement_id, week, func.sum(Measurement.value), func.count()
        )
        .where(
            Measurement.improvement_id.in_(improvement_ids),
            Measurement.phase == Phase.AFTER,
            Measurement.group == StudyGroup.TREATMENT,
            Measurement.observed_on.is_not(None),
        )
        .group_by(Measurement.improvement_id, week)
        .order_by(Measurement.improvement_id, week)
    )
    weeks: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for improvement_id, start, total, count in db.session.execute(stmt):
        weeks[improvement_id].append((start, total / count))
    return weeks


def _worse(values: np.ndarray, index: int, rule: str, mean: float, better: float) -> bool:
    if rule == "trend":
        step = values[index] - values[index - 1] if index > 0 else 0.0
        return step * better < 0
    return (values[index] - mean) * better < 0


def check_lasting(series: list[tuple[date, float]], direction: Direction) -> LastingCheck:
    if len(series) < MIN_WEEKS:
        return LastingCheck(
            Lasting.NOT_ASSESSABLE,
            f"{len(series)} dated week{'s' if len(series) != 1 else ''} after go-live; "
            f"{MIN_WEEKS} are needed",
            len(series),
        )
    values = np.array([mean for _, mean in series])
    baseline_weeks = max(MIN_BASELINE_WEEKS, len(values) // 2)
    baseline = np.arange(len(values)) < baseline_weeks
    chart = xmr_chart(values, baseline=baseline)
    better = 1.0 if direction is Direction.HIGHER else -1.0
    against = [
        signal
        for signal in chart.signals
        if signal.index >= baseline_weeks
        and _worse(values, signal.index, signal.rule, chart.mean, better)
    ]
    if against:
        first = against[0]
        week = series[first.index][0]
        return LastingCheck(
            Lasting.SIGNAL,
            f"{first.rule.replace('_', ' ')} in the week of {week.day} {week:%B %Y}",
            len(series),
        )
    return LastingCheck(
        Lasting.HOLDING, "no special cause against the gain since it settled", len(series)
    )


class KnownChecks:
    """Flags remembered between calls under (id, data version, direction), which is everything
    a flag depends on; shared by a worker's threads, so each read and write takes the lock."""

    def __init__(self) -> None:
        self._checks: dict[tuple[int, int, Direction], LastingCheck] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, Direction]) -> LastingCheck | None:
        with self._lock:
            return self._checks.get(key)

    def remember(self, checks: dict[tuple[int, int, Direction], LastingCheck]) -> None:
        with self._lock:
            if len(self._checks) + len(checks) > MAX_KNOWN:
                self._checks.clear()  # old data versions are never asked for again
            self._checks.update(checks)

    def __len__(self) -> int:
        with self._lock:
            return len(self._checks)


def lasting_checks(
    improvements: dict[int, tuple[int, Direction]], known: KnownChecks | None = None
) -> dict[int, LastingCheck]:
    """The flag for each improvement id, given its data version and the way its metric
    improves. ``known`` keeps flags from earlier calls: after one improvement's data change,
    only that one is checked again. The answer is built here, never read back from ``known``,
    which another thread may clear meanwhile."""
    known = KnownChecks() if known is None else known
    checks: dict[int, LastingCheck] = {}
    missing: dict[int, Direction] = {}
    for improvement_id, (version, direction) in improvements.items():
        check = known.get((improvement_id, version, direction))
        if check is None:
            missing[improvement_id] = direction
        else:
            checks[improvement_id] = check
    series = _weekly_means(list(missing)) if missing else {}
    new = {}
    for improvement_id, direction in missing.items():
        check = check_lasting(series.get(improvement_id, []), direction)
        checks[improvement_id] = check
        new[(improvement_id, improvements[improvement_id][0], direction)] = check
    known.remember(new)
    return {improvement_id: checks[improvement_id] for improvement_id in improvements}
