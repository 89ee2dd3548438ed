"""What the pages show of the cell summaries: n, mean and sample variance per cell, and the
active measurement counts per phase.

Both are read from the kept cell summaries (`estimates.cells.current_cells`: the row kept at
the improvement's data version, which every write refreshes in its transaction), and computed
from the rows by the same code where there is none (no data yet, or a refresh that failed);
a page never stores them. For a list page of 25 improvements at 10,000 in the register, a
few small queries whatever the number of measurements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from gains.models import Phase, StudyGroup
from gains.models.cells import CELLS
from gains.services.estimates.cells import current_cells

CELL_OF_KEY = {
    "tb": (Phase.BEFORE, StudyGroup.TREATMENT),
    "ta": (Phase.AFTER, StudyGroup.TREATMENT),
    "cb": (Phase.BEFORE, StudyGroup.CONTROL),
    "ca": (Phase.AFTER, StudyGroup.CONTROL),
}


@dataclass(frozen=True)
class CellSummary:
    improvement_id: int
    phase: Phase
    group: StudyGroup
    n: int
    mean: float
    variance: float | None  # None when n < 2

    @property
    def sd(self) -> float | None:
        return None if self.variance is None else math.sqrt(self.variance)


def cell_summaries(improvement_ids: Iterable[int]) -> list[CellSummary]:
    """n, mean and sample variance per non-empty (improvement, phase, group) of the active
    rows; treatment before control, before before after (the order people read them in)."""
    ids = list(improvement_ids)
    if not ids:
        return []
    wide = current_cells(pd.Index(ids, name="improvement_id"))
    summaries = []
    # Plain lists, not DataFrame.to_dict: pandas builds records column by column through
    # .iloc, which cost an improvement page 4 ms for its one row.
    columns = wide.columns.tolist()
    for improvement_id, values in zip(
        wide.index.tolist(), wide.to_numpy(object).tolist(), strict=True
    ):
        row = dict(zip(columns, values, strict=True))
        for key in CELLS:  # tb, ta, cb, ca: already the reading order
            n = int(row[f"{key}_n"])
            if not n:
                continue
            phase, group = CELL_OF_KEY[key]
            variance = row[f"{key}_variance"]
            summaries.append(
                CellSummary(
                    improvement_id=improvement_id,
                    phase=phase,
                    group=group,
                    n=n,
                    mean=row[f"{key}_mean"],
                    variance=variance if n > 1 else None,
                )
            )
    return summaries


def measurement_counts(improvement_ids: Iterable[int]) -> dict[int, dict[Phase, int]]:
    """Active measurement counts per improvement and phase (for task lists and tables)."""
    ids = list(improvement_ids)
    counts: dict[int, dict[Phase, int]] = {i: {Phase.BEFORE: 0, Phase.AFTER: 0} for i in ids}
    if not ids:
        return counts
    wide = current_cells(pd.Index(ids, name="improvement_id"))
    for key in CELLS:
        phase = CELL_OF_KEY[key][0]
        for improvement_id, n in wide[f"{key}_n"].items():
            counts[int(improvement_id)][phase] += int(n)
    return counts
