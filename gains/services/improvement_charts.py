"""The numbers behind an improvement's charts (shown as tables beside them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from gains.charts.improvement import CellValues, distributions_svg, xmr_svg
from gains.models import Improvement, Phase, StudyGroup
from gains.services.estimates import measurements_frame
from gains.stats.inference import DEFAULT_LEVEL, critical_value
from gains.stats.spc import MIN_BASELINE_POINTS, XmrChart, xmr_chart
from gains.stats.timeseries import weekly_means


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

    def rules_at(self, index: int) -> list[str]:
        return [s.rule.replace("_", " ") for s in self.chart.signals if s.index == index]


def distribution_cells(frame: pd.DataFrame) -> list[CellRow]:
    """Each (group, phase) cell's values with mean and 95% CI (mean ± t·s/√n)."""
    rows = []
    for group in StudyGroup:
        for phase in Phase:
            values = frame.loc[
                (frame["group"] == group.value) & (frame["phase"] == phase.value), "value"
            ]
            if values.empty:
                continue
            mean = float(values.mean())
            half = 0.0
            if len(values) > 1:
                half = (
                    float(critical_value(DEFAULT_LEVEL, len(values) - 1))
                    * float(values.std(ddof=1))
                    / math.sqrt(len(values))
                )
            label = f"{group.label}, {phase.label.lower()}"
            rows.append(
                CellRow(
                    CellValues(label, values.tolist(), mean, mean - half, mean + half), len(values)
                )
            )
    return rows


def weekly_xmr(frame: pd.DataFrame) -> WeeklyXmr | None:
    """The XmR chart of the treatment group's weekly means, limits from pre-go-live weeks."""
    treated = frame[(frame["group"] == StudyGroup.TREATMENT.value) & frame["date"].notna()]
    if treated.empty:
        return None
    weekly = weekly_means(treated)
    before = weekly["after"] == 0
    if before.sum() < MIN_BASELINE_POINTS:
        return None
    chart = xmr_chart(weekly["value"], baseline=before)
    after_rows = weekly.index[weekly["after"] == 1]
    return WeeklyXmr(
        weeks=[ts.date() for ts in weekly["week_start"]],
        values=weekly["value"].astype(float).tolist(),
        counts=weekly["n"].astype(int).tolist(),
        chart=chart,
        go_live_index=int(after_rows[0]) if len(after_rows) else None,
    )


def chart_data(improvement: Improvement) -> tuple[list[CellRow], WeeklyXmr | None]:
    frame = measurements_frame(improvement.id)
    if frame.empty:
        return [], None
    return distribution_cells(frame), weekly_xmr(frame)


def distributions_chart(improvement: Improvement, cells: list[CellRow]) -> str:
    """The before/after chart of these cells (the public register passes cells without values,
    so only the means and their intervals are drawn)."""
    return distributions_svg(
        [row.cell for row in cells],
        unit=improvement.metric_unit,
        title=f"Measurements before and after: {improvement.title}",
        description="; ".join(
            f"{row.cell.label}: mean {row.cell.mean:.4g} (95% interval "
            f"{row.cell.ci_low:.4g} to {row.cell.ci_high:.4g}), n = {row.n}"
            for row in cells
        ),
    )


def _xmr(improvement: Improvement, weekly: WeeklyXmr) -> str:
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
            f"{len(weekly.values)} weekly means; mean before go-live {chart.mean:.4g}, "
            f"process limits {chart.lpl:.4g} to {chart.upl:.4g}; "
            f"{flagged} weeks flagged as special causes."
        ),
    )


def improvement_chart_svg(improvement: Improvement, kind: str) -> str | None:
    """The SVG of one of the improvement's charts, or None when its data cannot draw it."""
    cells, weekly = chart_data(improvement)
    if kind == "distributions" and cells:
        return distributions_chart(improvement, cells)
    if kind == "xmr" and weekly is not None:
        return _xmr(improvement, weekly)
    return None
