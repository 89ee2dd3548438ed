"""Gains statistics engine: pure functions, pandas/numpy in, frozen dataclasses out.

No Flask and no SQLAlchemy here. Methods and references: ``docs/STATISTICS.md``.

Imports are lazy, and this is the one place that says so: the names below are loaded on
first use (PEP 562), and statsmodels is imported inside the functions that fit a model
(`did._fit`, `timeseries.fit_segmented_regression`). Starting the app, or
a command such as `gains import` whose rows are mostly before/after, then does not pay
for statsmodels (about 0.4 s and 40 MB) or for modules it never calls. Importing one
module (`gains.stats.money`) no longer imports all of them.
"""

from importlib import import_module

# Public name → the module that defines it.
_EXPORTS = {
    "StatsInputError": "assemble",
    "estimate_improvement": "design",
    "benjamini_hochberg": "multiplicity",
    "PooledEstimate": "pooling",
    "pool_random_effects": "pooling",
    "PowerResult": "power",
    "solve_power": "power",
    "Coefficient": "results",
    "EstimateResult": "results",
    "GroupCounts": "results",
    "XmrChart": "spc",
    "xmr_chart": "spc",
    "StatsWarning": "warning_codes",
}

__all__ = sorted(_EXPORTS, key=str.lower)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
