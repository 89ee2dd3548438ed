"""Per-improvement summaries of the active measurements, kept on write for recompute-all.

A plain table rather than a mapped class: only `services.estimates.cells` writes and reads it
(recompute-all in bulk; the pages' counts and summaries through `estimates.summaries`, for
lists of improvements the caller has already scoped). No page, form or API shows a row of it,
so it needs no ownership rule in `gains.access`.
"""

from sqlalchemy import Column, Float, ForeignKey, Integer, Table

from gains.models.base import Base
from gains.stats.cells import CELL_FIGURES, PAIRED_FIGURES
from gains.stats.evidence import TREND_FIGURES

CELLS = ("tb", "ta", "cb", "ca")  # treatment/control × before/after
# The figures per cell and of the paired summary: `gains.stats.cells` computes them.
CELL_STATISTICS = CELL_FIGURES
PAIRED_STATISTICS = PAIRED_FIGURES
UNIT_COUNTS = ("rows_with_unit", "units")  # over all rows: does some unit repeat (DiD)?
# The before cells' weekly trends, for the DiD pre-trend test (`gains.stats.evidence`).
TREND_CELLS = ("tb", "cb")
TREND_COLUMNS = tuple(f"{cell}_{figure}" for cell in TREND_CELLS for figure in TREND_FIGURES)
STATISTIC_COLUMNS = (
    *(f"{cell}_{statistic}" for cell in CELLS for statistic in CELL_STATISTICS),
    *(f"paired_{statistic}" for statistic in PAIRED_STATISTICS),
    *UNIT_COUNTS,
    *TREND_COLUMNS,
)

# Every statistic is a float (counts and flags included): recompute reads them straight into
# the float arrays the vectorised statistics take. NULL: no such cell, or no paired units.
measurement_cells = Table(
    "measurement_cells",
    Base.metadata,
    Column(
        "improvement_id",
        Integer,
        ForeignKey("improvements.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # The improvement's data version the row was computed at: any other version is stale.
    Column("data_version", Integer, nullable=False),
    *(Column(name, Float, nullable=True) for name in STATISTIC_COLUMNS),
)
