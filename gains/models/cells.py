"""Per-improvement summaries of the active measurements, kept on write for recompute-all.

A plain table rather than a mapped class: only `services.cells` writes it; `services.
recompute` reads it in bulk and `services.summaries.measurement_counts` reads its counts for
lists of improvements the caller has already scoped. No page, form or API shows a row of it,
so it needs no ownership rule in `gains.access`.
"""

from sqlalchemy import Column, Float, ForeignKey, Integer, Table

from gains.models.base import Base

CELLS = ("tb", "ta", "cb", "ca")  # treatment/control × before/after
CELL_STATISTICS = (
    "n",
    "mean",
    "variance",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
    "undecided",
)
# The paired summary: per-unit means of the treatment rows, differences after − before.
PAIRED_STATISTICS = (
    "n_units",
    "mean_difference",
    "variance_difference",
    "mean_before",
    "variance_before",
    "covariance_difference_before",
    "n_dropped",
    "rows_before",
    "rows_after",
    "minimum",
    "maximum",
    "more_than_two_values",
    "q1",
    "q3",
)
UNIT_COUNTS = ("rows_with_unit", "units")  # over all rows: does some unit repeat (DiD)?
STATISTIC_COLUMNS = (
    *(f"{cell}_{statistic}" for cell in CELLS for statistic in CELL_STATISTICS),
    *(f"paired_{statistic}" for statistic in PAIRED_STATISTICS),
    *UNIT_COUNTS,
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
