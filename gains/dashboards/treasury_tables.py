"""The Treasury dashboard's tables: one definition serves the page and the exported files."""

from __future__ import annotations

from collections import Counter

from gains.exports import Column, Table, pounds
from gains.services.dashboards.treasury import Breakdown, TreasuryDashboard
from gains.services.estimates.lasting import Lasting

BAND = "95% band"


def _breakdown_table(name: str, title: str, first: str, rows: list[Breakdown]) -> Table:
    return Table(
        name,
        title,
        [
            Column(first),
            Column("Claimed a year", "gbp"),
            Column("Validated a year", "gbp"),
            Column(f"Validated {BAND}: low", "gbp"),
            Column(f"Validated {BAND}: high", "gbp"),
            Column("Validated improvements", "number"),
        ],
        [
            [
                row.label,
                pounds(row.claimed.total_pence),
                pounds(row.validated.total_pence),
                pounds(row.validated.band_low_pence),
                pounds(row.validated.band_high_pence),
                row.validated.n_items,
            ]
            for row in rows
        ],
    )


def _lasting_row(dashboard: TreasuryDashboard, row, check) -> list:
    return [
        row.title,
        dashboard.department_names[row.department_id],
        check.flag.label,
        check.reason,
        check.weeks,
    ]


# A page is a summary: a register has thousands of approved improvements, and hundreds of
# rows would bury the figures above them. The files have every row.
LASTING_ROWS_ON_THE_PAGE = 20


def lasting_on_the_page(dashboard: TreasuryDashboard) -> tuple[list[list], str]:
    """The did-it-last rows the page lists (the first of those with a signal against the
    gain) and a sentence counting every flag; the exported files have every approval."""
    counts = Counter(check.flag for _, check in dashboard.lasting)
    signals = [(row, check) for row, check in dashboard.lasting if check.flag is Lasting.SIGNAL]
    shown = signals[:LASTING_ROWS_ON_THE_PAGE]
    summary = (
        f"Of {len(dashboard.lasting):,} approved improvements: "
        + "; ".join(f"{flag.label.lower()} {counts[flag]:,}" for flag in Lasting)
        + "."
    )
    if signals:
        summary += (
            f" Listed here: {'all' if len(shown) == len(signals) else 'the first'} "
            f"{len(shown):,} with a signal against the gain, by title; the files have every "
            "approved improvement."
        )
    return [_lasting_row(dashboard, row, check) for row, check in shown], summary


def treasury_tables(dashboard: TreasuryDashboard) -> dict[str, Table]:
    tables = [
        Table(
            "cumulative",
            "Cumulative net savings by month",
            [
                Column("Month", "month"),
                Column("Claimed", "gbp"),
                Column(f"Claimed {BAND}: low", "gbp"),
                Column(f"Claimed {BAND}: high", "gbp"),
                Column("Validated", "gbp"),
                Column(f"Validated {BAND}: low", "gbp"),
                Column(f"Validated {BAND}: high", "gbp"),
            ],
            [
                [
                    p.month,
                    pounds(p.claimed_pence),
                    pounds(p.claimed_low_pence),
                    pounds(p.claimed_high_pence),
                    pounds(p.validated_pence),
                    pounds(p.validated_low_pence),
                    pounds(p.validated_high_pence),
                ]
                for p in dashboard.months
            ],
        ),
        Table(
            "financial-years",
            "Net savings by financial year",
            [Column("Financial year"), Column("Claimed", "gbp"), Column("Validated", "gbp")],
            [[label, pounds(c), pounds(v)] for label, c, v in dashboard.by_financial_year],
        ),
        _breakdown_table(
            "departments", "Annual savings by department", "Department", dashboard.by_department
        ),
        _breakdown_table(
            "pillars",
            "Annual savings by Public Value Framework pillar",
            "Pillar",
            dashboard.by_pillar,
        ),
        _breakdown_table("kinds", "Annual savings by kind", "Kind", dashboard.by_kind),
        _breakdown_table(
            "cashable", "Annual savings: cashable or not", "Saving", dashboard.by_cashable
        ),
        Table(
            "top",
            "Top improvements by validated annual saving",
            [
                Column("Improvement"),
                Column("Department"),
                Column("Validated a year", "gbp"),
                Column("Standard error", "gbp"),
                Column("Cashable"),
            ],
            [
                [
                    v.title,
                    dashboard.department_names[v.department_id],
                    pounds(v.item.annual_saving_pence),
                    pounds(v.item.se_pence),
                    "Yes" if v.item.cashable else "No",
                ]
                for v in dashboard.top
            ],
        ),
        Table(
            "lasting",
            "Did it last? Approved improvements since go-live",
            [
                Column("Improvement"),
                Column("Department"),
                Column("Flag"),
                Column("Why"),
                Column("Dated weeks after go-live", "number"),
            ],
            [_lasting_row(dashboard, v, check) for v, check in dashboard.lasting],
        ),
    ]
    return {table.name: table for table in tables}
