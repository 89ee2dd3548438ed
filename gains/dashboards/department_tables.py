"""The department dashboard's figures as tables for CSV files (issue 21): the savings totals,
the per-improvement rows and the pooled effect, from the same cached `DepartmentDashboard`
the page renders, headed by column keys (decision 0035)."""

from __future__ import annotations

from gains.exports import Column, Table, pounds, yes_no
from gains.services.dashboards.department import DepartmentDashboard
from gains.stats.money import SavingsTotal

TOTAL_COLUMNS = (
    Column("Figure", key="figure"),
    Column("What it is", key="label"),
    Column("Improvements", "number", key="improvements"),
    Column("A year", "gbp", key="total"),
    Column("Band: low", "gbp", key="band_low"),
    Column("Band: high", "gbp", key="band_high"),
    Column("Band level", "number", key="band_level"),
)

IMPROVEMENT_COLUMNS = (
    Column("Improvement", "number", key="improvement_id"),
    Column("Title", key="title"),
    Column("Status", key="status"),
    Column("Evidence level", "number", key="evidence_level"),
    Column("A year, as approved", "gbp", key="annual_saving"),
    Column("Standard error", "gbp", key="annual_saving_se"),
    Column("A year, shrunk", "gbp", key="annual_saving_shrunk"),
    Column("Shrunk", key="shrunk"),
    Column("Whole-life NPV (shrunk)", "gbp", key="npv"),
    Column("Cashable", key="cashable"),
)

POOLED_COLUMNS = (
    Column("Improvement", "number", key="improvement_id"),
    Column("Title", key="title"),
    Column("Standardised by", key="standardiser"),
    Column("Hedges' g", "number", key="hedges_g"),
    Column("Interval low", "number", key="ci_low"),
    Column("Interval high", "number", key="ci_high"),
    Column("Variance", "number", key="variance"),
    Column("Improvements pooled (k)", "number", key="k"),
    Column("Interval", key="ci_method"),
    Column("Prediction interval low", "number", key="pi_low"),
    Column("Prediction interval high", "number", key="pi_high"),
    Column("Between-improvement variance (τ²)", "number", key="tau2"),
    Column("I² (%)", "number", key="i2"),
    Column("Heterogeneity (Q)", "number", key="q"),
    Column("Q's p-value", "number", key="q_p_value"),
)

CASHABLE = (("cashable", "Cashable: releases money"), ("non_cashable", "Non-cashable"))


def _total_row(figure: str, label: str, total) -> list:
    """A `SavingsTotal` or a `valuation.Band`: both have a total, a band and a count."""
    return [
        figure,
        label,
        total.n_items,
        pounds(total.total_pence),
        pounds(total.band_low_pence),
        pounds(total.band_high_pence),
        total.level,
    ]


def _totals(dashboard: DepartmentDashboard) -> Table:
    honest = dashboard.honest
    rows = [
        _total_row("validated_shrunk", "Validated annual savings, shrunk", honest.shrunk),
        _total_row("validated", "Validated annual savings, as approved", honest.raw),
        _total_row("npv", "Whole-life NPV of the validated savings, shrunk", honest.npv),
        _total_row("npv_raw", "Whole-life NPV, as approved", honest.npv_raw),
        _total_row(
            "reported_level_2",
            "Reported, not validated by a comparison (evidence level 2)",
            dashboard.reported.raw,
        ),
        _total_row("claimed", "Claimed (current estimates in the pipeline)", dashboard.claimed),
        *[_total_row(key, label, dashboard.validated_by_cashable[key]) for key, label in CASHABLE],
    ]
    for prefix, breakdowns in (("pillar", dashboard.by_pillar), ("kind", dashboard.by_kind)):
        rows += [
            _validated_breakdown(f"{prefix}:{row.value}", row.label, row.validated)
            for row in breakdowns
        ]
    return Table("savings", "Savings a year", TOTAL_COLUMNS, rows)


def _validated_breakdown(figure: str, label: str, total: SavingsTotal) -> list:
    """A pillar's or kind's validated total; the page shows no band for an empty one."""
    row = _total_row(figure, f"Validated a year: {label}", total)
    if not total.n_items:
        row[4] = row[5] = None
    return row


def _improvements(dashboard: DepartmentDashboard) -> Table:
    rows = [
        [
            valued.row.improvement_id,
            valued.row.title,
            valued.row.status.value,
            valued.row.evidence_level,
            pounds(valued.row.item.annual_saving_pence),
            pounds(valued.row.item.se_pence),
            pounds(valued.shrunk_pence),
            yes_no(valued.shrunk),
            pounds(valued.npv_pence),
            yes_no(valued.row.item.cashable),
        ]
        for valued in dashboard.valued_items
    ]
    return Table("improvements", "Validated improvements", IMPROVEMENT_COLUMNS, rows)


def _pooled(dashboard: DepartmentDashboard) -> Table:
    pooling = dashboard.pooling
    blank = [None] * 8
    rows = [
        [
            study.improvement_id,
            study.title,
            study.standardiser_name,
            study.hedges_g,
            *study.ci,
            study.variance,
            *blank,
        ]
        for study in pooling.studies
    ]
    pooled = pooling.result
    if pooled is not None:
        rows.append(
            [
                None,
                f"Pooled ({pooling.method.upper()})",
                None,
                pooled.estimate,
                pooled.ci_low,
                pooled.ci_high,
                None,
                pooled.k,
                pooling.ci_method_name,
                pooled.pi_low,
                pooled.pi_high,
                pooled.tau2,
                pooled.i2,
                pooled.q,
                pooled.q_p_value,
            ]
        )
    return Table("pooled", "Pooled effect of approved improvements", POOLED_COLUMNS, rows)


def department_tables(dashboard: DepartmentDashboard) -> dict[str, Table]:
    tables = (_totals(dashboard), _improvements(dashboard), _pooled(dashboard))
    return {table.name: table for table in tables}
