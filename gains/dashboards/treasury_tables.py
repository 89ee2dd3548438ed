"""The Treasury dashboard's tables: one definition serves the page and the exported files."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from gains.exports import Column, Table, pounds
from gains.services.dashboards.treasury import Breakdown, TreasuryDashboard, TreasuryFilters
from gains.services.estimates.lasting import Lasting
from gains.services.money.valuation import HEADLINE_LEVEL

BAND = "95% band"
LEVELS_COLUMN = Column("Evidence levels counted as validated", key="evidence_level")


def counted_levels(filters: TreasuryFilters) -> str:
    """The evidence levels the validated figures count: 3 and above (the headline rule),
    narrowed by the level filter; none when it asks for level 2 (reported only)."""
    if filters.level is None:
        return "3-5"
    return str(filters.level) if filters.level >= HEADLINE_LEVEL else "none"


def _breakdown_table(
    name: str, title: str, first: Column, rows: list[Breakdown], levels: Callable
) -> Table:
    """``levels(row)``: the evidence levels a row's validated figures count."""
    return Table(
        name,
        title,
        [
            first,
            LEVELS_COLUMN,
            Column("Claimed a year", "gbp", "claimed"),
            Column("Validated a year", "gbp", "validated"),
            Column(f"Validated {BAND}: low", "gbp", "validated_band_low"),
            Column(f"Validated {BAND}: high", "gbp", "validated_band_high"),
            Column("Validated a year, shrunk (to bank)", "gbp", "validated_shrunk"),
            Column("Validated realised to date", "gbp", "realised_to_date"),
            Column("Whole-life NPV (shrunk)", "gbp", "npv"),
            Column("Reported a year, not validated by a comparison", "gbp", "reported_level_2"),
            Column("Validated improvements", "number", "validated_improvements"),
        ],
        [
            [
                row.label,
                levels(row),
                pounds(row.claimed.total_pence),
                pounds(row.validated.total_pence),
                pounds(row.validated.band_low_pence),
                pounds(row.validated.band_high_pence),
                pounds(row.validated_shrunk_pence),
                pounds(row.realised_pence),
                pounds(row.npv_pence),
                pounds(row.reported_pence),
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
    counted = counted_levels(dashboard.filters)
    level = dashboard.filters.level
    with_level_2 = str(level) if level else "2-5"  # the sensitivity row that lets level 2 in

    def everywhere(_row) -> str:
        return counted

    def breakdown(name: str, title: str, first: Column, rows: list[Breakdown]) -> Table:
        return _breakdown_table(name, title, first, rows, everywhere)

    npv_by_year = {row.value: row.npv_pence for row in dashboard.by_go_live_year}
    tables = [
        Table(
            "cumulative",
            "Cumulative net savings by month",
            [
                Column("Month", "month", "month"),
                LEVELS_COLUMN,
                Column("Claimed", "gbp", "claimed"),
                Column(f"Claimed {BAND}: low", "gbp", "claimed_band_low"),
                Column(f"Claimed {BAND}: high", "gbp", "claimed_band_high"),
                Column("Validated", "gbp", "validated"),
                Column(f"Validated {BAND}: low", "gbp", "validated_band_low"),
                Column(f"Validated {BAND}: high", "gbp", "validated_band_high"),
                Column("Validated, shrunk", "gbp", "validated_shrunk"),
                Column("Whole-life NPV (shrunk) of the validated live by then", "gbp", "npv"),
            ],
            [
                [
                    p.month,
                    counted,
                    pounds(p.claimed_pence),
                    pounds(p.claimed_low_pence),
                    pounds(p.claimed_high_pence),
                    pounds(p.validated_pence),
                    pounds(p.validated_low_pence),
                    pounds(p.validated_high_pence),
                    pounds(p.validated_shrunk_pence),
                    pounds(p.npv_pence),
                ]
                for p in dashboard.months
            ],
        ),
        Table(
            "financial-years",
            "Net savings by financial year",
            [
                Column("Financial year", key="financial_year"),
                LEVELS_COLUMN,
                Column("Claimed", "gbp", "claimed"),
                Column("Validated", "gbp", "validated"),
                Column("Validated, shrunk", "gbp", "validated_shrunk"),
                Column("Whole-life NPV (shrunk) of the validated going live", "gbp", "npv"),
            ],
            [
                [label, counted, pounds(c), pounds(v), pounds(s), pounds(npv_by_year.get(label, 0))]
                for label, c, v, s in dashboard.by_financial_year
            ],
        ),
        breakdown(
            "departments",
            "Annual savings by department",
            Column("Department", key="department"),
            dashboard.by_department,
        ),
        breakdown(
            "pillars",
            "Annual savings by Public Value Framework pillar",
            Column("Pillar", key="pillar"),
            dashboard.by_pillar,
        ),
        breakdown("kinds", "Annual savings by kind", Column("Kind", key="kind"), dashboard.by_kind),
        breakdown(
            "cashable",
            "Annual savings: cashable or not",
            Column("Saving", key="cashable"),
            dashboard.by_cashable,
        ),
        breakdown(
            "go-live-years",
            "Annual savings by financial year of go-live",
            Column("Financial year of go-live", key="go_live_financial_year"),
            dashboard.by_go_live_year,
        ),
        _breakdown_table(
            "evidence-levels",
            "Annual savings by evidence level",
            Column("Evidence level", key="evidence_level_label"),
            dashboard.by_evidence_level,
            lambda row: str(row.value),
        ),
        Table(
            "sensitivity",
            "How the headline moves: validated annual savings, shrunk, under other assumptions",
            [
                Column("Assumption", key="assumption"),
                LEVELS_COLUMN,
                Column("Validated a year, shrunk", "gbp", "validated_shrunk"),
                Column("Change from the headline", "gbp", "change_from_headline"),
            ],
            [
                ["The headline", counted, pounds(dashboard.sensitivity.headline_pence), pounds(0)],
                *(
                    [
                        scenario.label,
                        with_level_2 if scenario.includes_level_2 else counted,
                        pounds(scenario.total_pence),
                        pounds(scenario.change_pence),
                    ]
                    for scenario in dashboard.sensitivity.scenarios
                ),
            ],
        ),
        Table(
            "top",
            "Top improvements by validated annual saving, shrunk",
            [
                Column("Improvement", key="improvement"),
                Column("Department", key="department"),
                Column("Evidence level", "number", "evidence_level"),
                Column("Validated a year", "gbp", "validated"),
                Column("Standard error", "gbp", "standard_error"),
                Column("Validated a year, shrunk", "gbp", "validated_shrunk"),
                Column("Whole-life NPV (shrunk)", "gbp", "npv"),
                Column("Cashable", key="cashable"),
            ],
            [
                [
                    v.row.title,
                    dashboard.department_names[v.row.department_id],
                    v.row.evidence_level,
                    pounds(v.row.item.annual_saving_pence),
                    pounds(v.row.item.se_pence),
                    pounds(v.shrunk_pence),
                    pounds(v.npv_pence),
                    "Yes" if v.row.item.cashable else "No",
                ]
                for v in dashboard.top
            ],
        ),
        Table(
            "lasting",
            "Did it last? Approved improvements since go-live",
            [
                Column("Improvement", key="improvement"),
                Column("Department", key="department"),
                Column("Flag", key="flag"),
                Column("Why", key="why"),
                Column("Dated weeks after go-live", "number", "weeks_after_go_live"),
            ],
            [_lasting_row(dashboard, v, check) for v, check in dashboard.lasting],
        ),
    ]
    return {table.name: table for table in tables}
