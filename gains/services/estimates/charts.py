"""The numbers behind an improvement's charts (shown as tables beside them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func

from gains import numbers
from gains.charts.improvement import (
    CellValues,
    CycleMark,
    NoteMark,
    distributions_svg,
    run_svg,
    xmr_svg,
)
from gains.extensions import db
from gains.models import Improvement, Measurement, Phase, StudyGroup
from gains.services.estimates.cycles import cycles_of
from gains.services.estimates.documents import measurements_frame
from gains.services.estimates.lasting import week_start
from gains.services.estimates.plain_english import run_chart_baseline_note, run_chart_reading
from gains.services.estimates.summaries import CellSummary
from gains.services.improvements.chart_notes import notes_for
from gains.services.measurements.active import active_measurements
from gains.stats.assemble import StatsInputError
from gains.stats.cells import cell_index, cell_statistics
from gains.stats.inference import DEFAULT_LEVEL, critical_value
from gains.stats.runs import RunChart, run_chart
from gains.stats.spc import MIN_BASELINE_POINTS, XmrChart, xmr_chart


@dataclass(frozen=True)
class CellRow:
    cell: CellValues
    n: int


@dataclass(frozen=True)
class WeeklyXmr:
    weeks: list[date]
    values: list[float]
    counts: list[int]
    chart: XmrChart
    go_live_index: int | None
    runs: RunChart  # the same weeks against the median of those before go-live

    def in_long_run(self, index: int) -> bool:
        return index in self.runs.long_run_points

    def side_of_median(self, index: int) -> str:
        value = self.values[index]
        median = self.runs.median
        return "above" if value > median else "below" if value < median else "on it (not counted)"

    @property
    def run_reading(self) -> str:
        return run_chart_reading(self.runs)

    @property
    def run_baseline_note(self) -> str | None:
        return run_chart_baseline_note(self.runs)

    def rules_at(self, index: int) -> list[str]:
        return [s.rule.replace("_", " ") for s in self.chart.signals if s.index == index]

    @property
    def special_cause_weeks_before_go_live(self) -> int:
        """Weeks flagged before go-live: the before period was not stable (the page says so)."""
        end = len(self.weeks) if self.go_live_index is None else self.go_live_index
        return len({s.index for s in self.chart.signals if s.index < end})


# The improvement page shows these numbers on every view, so they are worked out on the frame's
# NumPy columns: the DataFrame masks and the two-key groupby cost several milliseconds of
# pandas overhead a page for a hundred rows. The figures are the same to the last bit as
# `frame.loc[...].mean()/.std()` and `stats.timeseries.weekly_means` (tested): each cell's mean
# and standard deviation come from `stats.cells.cell_statistics` (numpy's own sums, in the
# frame's order), and the weekly means still come from pandas' groupby mean (its compensated
# summation), only keyed by one integer per week and side.


def distribution_cells(frame: pd.DataFrame) -> list[CellRow]:
    """Each (group, phase) cell's values with mean and 95% CI (mean ± t·s/√n)."""
    codes = cell_index(frame["phase"].to_numpy(), frame["group"].to_numpy())
    all_values = frame["value"].to_numpy(dtype=float)
    statistics = cell_statistics(codes, all_values)
    rows = []
    for group in StudyGroup:
        for phase in Phase:
            code = cell_index(phase.value, group.value).item()
            if code not in statistics.index:
                continue
            cell = statistics.loc[code]
            n = int(cell["n"])
            t = float(critical_value(DEFAULT_LEVEL, n - 1)) if n > 1 else 0.0
            sd = math.sqrt(cell["variance"]) if n > 1 else 0.0
            values = all_values[codes == code].tolist()
            rows.append(_cell_row(group, phase, n, float(cell["mean"]), sd, t, values))
    return rows


def _cell_row(
    group: StudyGroup,
    phase: Phase,
    n: int,
    mean: float,
    sd: float,
    t: float,
    values: list[float],
) -> CellRow:
    """One cell's row: its mean and 95% interval, mean ± t·s/√n (none for a single value)."""
    half = t * sd / math.sqrt(n) if n > 1 else 0.0
    label = f"{group.label}, {phase.label.lower()}"
    return CellRow(CellValues(label, values, mean, mean - half, mean + half), n)


EPOCH = date(1970, 1, 1)  # a Thursday: day 0, so Monday-based weekday = (day + 3) % 7


def weekly_xmr(frame: pd.DataFrame) -> WeeklyXmr | None:
    """The XmR chart of the treatment group's weekly means, limits from pre-go-live weeks.

    Weeks start on Monday; a go-live in mid-week splits that week into a before point and an
    after point (as `stats.timeseries.weekly_means`)."""
    dates = frame["date"].to_numpy().astype("datetime64[D]")
    treated = (frame["group"].to_numpy() == StudyGroup.TREATMENT.value) & ~np.isnat(dates)
    if not treated.any():
        return None
    days = dates[treated].astype(np.int64)
    week_start = days - (days + 3) % 7
    after = (frame["phase"].to_numpy()[treated] == "after").astype(np.int64)
    keys = week_start * 2 + after  # sorts as (week_start, after)
    by_key = pd.Series(frame["value"].to_numpy(dtype=float)[treated]).groupby(keys, sort=True)
    weekly = by_key.agg(["mean", "size"])
    key_order = weekly.index.to_numpy(dtype=np.int64)
    return _weekly_chart(
        [EPOCH + timedelta(days=int(day)) for day in key_order // 2],
        key_order % 2 == 1,
        weekly["mean"].to_numpy(dtype=float),
        weekly["size"].astype(int).tolist(),
    )


def _weekly_chart(
    weeks: list[date], after: np.ndarray, values: np.ndarray, counts: list[int]
) -> WeeklyXmr | None:
    """The XmR chart of weekly points in time order (a week split at go-live gives two)."""
    before = ~after
    if before.sum() < MIN_BASELINE_POINTS:
        return None
    try:
        chart = xmr_chart(values, baseline=before)
    except StatsInputError:
        # The weekly means before go-live never vary (a count that stood still): no process
        # limits can be set, so there is no chart; the page says what the chart needs.
        return None
    after_points = np.flatnonzero(after)
    return WeeklyXmr(
        weeks=weeks,
        values=values.tolist(),
        counts=counts,
        chart=chart,
        go_live_index=int(after_points[0]) if len(after_points) else None,
        runs=run_chart(values, baseline=before),
    )


def chart_data(improvement: Improvement) -> tuple[list[CellRow], WeeklyXmr | None]:
    frame = measurements_frame(improvement.id)
    if frame.empty:
        return [], None
    return distribution_cells(frame), weekly_xmr(frame)


def chart_tables(
    improvement: Improvement, cells: list[CellSummary]
) -> tuple[list[CellRow], WeeklyXmr | None]:
    """The numbers the pages show beside the charts, without reading the rows (the drawings
    read them, `chart_data`): each cell's mean and 95% interval from its summary
    (``cells``, `summaries.cell_summaries`), and the weekly means from sums the database
    makes week by week. The same figures as `chart_data`'s to rounding (tested): a page
    that shows them costs a few rows from the database however many measurements there are.
    """
    mine = [cell for cell in cells if cell.improvement_id == improvement.id]
    # One call for every cell's t: SciPy's overhead is most of the cost of one.
    t = critical_value(DEFAULT_LEVEL, np.array([max(cell.n - 1, 1) for cell in mine]))
    rows = [
        _cell_row(
            cell.group,
            cell.phase,
            cell.n,
            cell.mean,
            math.sqrt(cell.variance) if cell.n > 1 else 0.0,
            t_cell,
            [],
        )
        for cell, t_cell in zip(mine, np.atleast_1d(t).tolist(), strict=True)
    ]
    return rows, _weekly_xmr_by_sql(improvement.id)


def _weekly_xmr_by_sql(improvement_id: int) -> WeeklyXmr | None:
    """`weekly_xmr` from per-week sums of the treatment group's dated active rows."""
    week = week_start(Measurement.observed_on).label("week")
    stmt = (
        active_measurements(week, Measurement.phase, func.sum(Measurement.value), func.count())
        .where(
            Measurement.improvement_id == improvement_id,
            Measurement.group == StudyGroup.TREATMENT,
            Measurement.observed_on.is_not(None),
        )
        .group_by(week, Measurement.phase)
    )
    # Each week's before point ahead of its after point, as in `weekly_xmr`.
    points = sorted(
        (day, phase == Phase.AFTER.value, total / n, n)
        for day, phase, total, n in db.session.execute(stmt)
    )
    if not points:
        return None
    weeks, after, means, counts = zip(*points, strict=True)
    return _weekly_chart(list(weeks), np.array(after), np.array(means, dtype=float), list(counts))


def distributions_chart(improvement: Improvement, cells: list[CellRow]) -> str:
    """The before/after chart of these cells (the public register passes cells without values,
    so only the means and their intervals are drawn)."""
    return distributions_svg(
        [row.cell for row in cells],
        unit=improvement.metric_unit,
        title=f"Measurements before and after: {improvement.title}",
        description="; ".join(
            f"{row.cell.label}: mean {numbers.number(row.cell.mean, 4)} (95% interval "
            f"{numbers.number(row.cell.ci_low, 4)} to {numbers.number(row.cell.ci_high, 4)}), "
            f"n = {numbers.count(row.n)}"
            for row in cells
        ),
    )


@dataclass(frozen=True)
class Marks:
    """What the weekly charts mark besides the data: the team's notes and the cycles' starts."""

    notes: list[NoteMark]
    cycles: list[CycleMark]

    @property
    def described(self) -> str:
        """The marks in the charts' text alternative."""
        return "".join(
            f" Cycle {cycle.number} starts on {numbers.govuk_date(cycle.started_on)}."
            for cycle in self.cycles
        ) + "".join(
            f" Note at {numbers.govuk_date(note.on_date)}: {note.text}." for note in self.notes
        )


def chart_marks(improvement_id: int) -> Marks:
    """The improvement's notes, and the starts of its PDSA cycles; the first cycle's only when
    there are several (a one-cycle improvement looks as it would without cycles)."""
    cycles = cycles_of(improvement_id)
    return Marks(
        notes=[NoteMark(note.on_date, note.text) for note in notes_for(improvement_id)],
        cycles=[CycleMark(cycle.started_on, cycle.number) for cycle in cycles]
        if len(cycles) > 1
        else [],
    )


def cycle_weeks(marks: Marks) -> dict[date, list[int]]:
    """The weeks (by their Monday) in which a marked cycle starts, for the charts' tables."""
    weeks: dict[date, list[int]] = {}
    for cycle in marks.cycles:
        monday = cycle.started_on - timedelta(days=cycle.started_on.weekday())
        weeks.setdefault(monday, []).append(cycle.number)
    return weeks


def _xmr(improvement: Improvement, weekly: WeeklyXmr, marks: Marks) -> str:
    chart = weekly.chart
    flagged = len({signal.index for signal in chart.signals})
    return xmr_svg(
        weekly.weeks,
        weekly.values,
        chart,
        weekly.go_live_index,
        unit=improvement.metric_unit,
        title=f"XmR chart of weekly means: {improvement.title}",
        description=(
            f"{numbers.plural(len(weekly.values), 'weekly mean')}; mean before go-live "
            f"{numbers.number(chart.mean, 4)}, process limits {numbers.number(chart.lpl, 4)} to "
            f"{numbers.number(chart.upl, 4)}; {numbers.plural(flagged, 'week')} flagged as special "
            "causes."
            f"{marks.described}"
        ),
        notes=marks.notes,
        cycles=marks.cycles,
    )


def _run(improvement: Improvement, weekly: WeeklyXmr, marks: Marks) -> str:
    return run_svg(
        weekly.weeks,
        weekly.values,
        weekly.runs,
        weekly.go_live_index,
        unit=improvement.metric_unit,
        title=f"Run chart of weekly means: {improvement.title}",
        description=(
            f"{numbers.plural(len(weekly.values), 'weekly mean')}. "
            f"{run_chart_reading(weekly.runs)}{marks.described}"
        ),
        notes=marks.notes,
        cycles=marks.cycles,
    )


def improvement_chart_svg(improvement: Improvement, kind: str) -> str | None:
    """The SVG of one of the improvement's charts, or None when its data cannot draw it."""
    cells, weekly = chart_data(improvement)
    if kind == "distributions" and cells:
        return distributions_chart(improvement, cells)
    if kind in WEEKLY_CHARTS and weekly is not None:
        return WEEKLY_CHARTS[kind](improvement, weekly, chart_marks(improvement.id))
    return None


WEEKLY_CHARTS = {"xmr": _xmr, "run": _run}
CHART_KINDS = ("distributions", *WEEKLY_CHARTS)
