"""Gains statistics engine: pure functions, pandas/numpy in, frozen dataclasses out.

No Flask and no SQLAlchemy here. Methods and references: ``docs/STATISTICS.md``.
"""

from gains.stats.assemble import StatsInputError
from gains.stats.design import estimate_improvement
from gains.stats.multiplicity import benjamini_hochberg
from gains.stats.pooling import PooledEstimate, pool_random_effects
from gains.stats.power import PowerResult, solve_power
from gains.stats.results import Coefficient, EstimateResult, GroupCounts
from gains.stats.spc import XmrChart, xmr_chart
from gains.stats.warning_codes import StatsWarning

__all__ = [
    "Coefficient",
    "EstimateResult",
    "GroupCounts",
    "PooledEstimate",
    "PowerResult",
    "StatsInputError",
    "StatsWarning",
    "XmrChart",
    "benjamini_hochberg",
    "estimate_improvement",
    "pool_random_effects",
    "solve_power",
    "xmr_chart",
]
