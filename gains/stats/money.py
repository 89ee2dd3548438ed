"""Money: annual savings with uncertainty, cumulative accrual by month, totals, financial years.

Annual volume and £ per unit may be ranges (low, central, high): the saving's interval then
combines them with the gain's sampling distribution by seeded Monte Carlo, and totals let a
department's inputs move together (docs/STATISTICS.md "Savings with input ranges").

Money crosses the module boundary as ``Decimal`` pounds in and integer pence out; floats are
used only for the statistical quantities (gain, SE, critical values). Pence are rounded half
up, the convention for sterling amounts. Nothing is truncated at zero: a negative or
inconclusive gain is a negative or inconclusive saving.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import numpy as np
from dateutil.relativedelta import relativedelta
from scipy import special

from gains.stats.inference import DEFAULT_LEVEL, critical_value

CLAIMED_STATUSES = frozenset({"running", "submitted", "changes_requested", "approved"})
PENCE_PER_POUND = Decimal(100)
MONTHS_PER_YEAR = 12
FINANCIAL_YEAR_START_MONTH = 4  # UK government: 1 April to 31 March
ONE_MONTH = relativedelta(months=1)


@dataclass(frozen=True)
class AnnualSaving:
    """Annual saving in pence at the central inputs with its SE and CI; ``ci_excludes_zero``
    uses the gain's CI. With input ranges the CI is the central share (``level``) of the
    simulated savings and ``includes_input_ranges`` is set; the SE stays the statistical one
    at the central inputs."""

    annual_saving_pence: int
    se_pence: int
    ci_low_pence: int
    ci_high_pence: int
    ci_excludes_zero: bool
    includes_input_ranges: bool = False


@dataclass(frozen=True)
class SavingItem:
    """One improvement's annual saving as it enters a total."""

    annual_saving_pence: int
    se_pence: int
    ci_excludes_zero: bool
    cashable: bool = False
    status: str = "approved"


@dataclass(frozen=True)
class SavingsTotal:
    """A total of items with its ±z·SE band and the part from items whose CI excludes 0."""

    total_pence: int
    se_pence: int
    band_low_pence: int
    band_high_pence: int
    from_items_excluding_zero_pence: int
    n_items: int
    level: float


def annual_saving(
    gain: float,
    gain_se: float,
    gain_ci_low: float,
    gain_ci_high: float,
    scale: Decimal,
    annual_volume: Decimal,
    value_per_unit_gbp: Decimal,
    *,
    annual_volume_range: tuple[Decimal, Decimal] | None = None,
    value_per_unit_range_gbp: tuple[Decimal, Decimal] | None = None,
    gain_df: float | None = None,
    level: float = DEFAULT_LEVEL,
) -> AnnualSaving:
    """Annual saving (£) = gain ÷ scale · annual volume · £ per metric unit; the SE and CI are
    the same factor times the gain's SE and CI (the factor is a known constant).

    A range (low, high) on the volume or the £ per unit, around the central value, makes the
    CI the central ``level`` of `simulated_saving_interval`'s draws; ranges of no width are
    exact inputs, and exact inputs keep the exact CI above. ``gain_df`` is the gain's t
    degrees of freedom (inferred from its CI when not given: `gain_degrees_of_freedom`).
    """
    factor_pence = as_decimal(annual_volume) * as_decimal(value_per_unit_gbp) * PENCE_PER_POUND
    factor_pence /= as_decimal(scale)
    bounds = sorted((_pence(gain_ci_low, factor_pence), _pence(gain_ci_high, factor_pence)))
    volume = _triangle(annual_volume, annual_volume_range)
    value = _triangle(value_per_unit_gbp, value_per_unit_range_gbp)
    ranged = volume[0] < volume[2] or value[0] < value[2]
    if ranged:
        df = (
            gain_df
            if gain_df is not None and gain_df > 0  # a stored df, not a missing (NaN) one
            else gain_degrees_of_freedom(gain_se, gain_ci_low, gain_ci_high, level)
        )
        low, high = simulated_saving_interval(gain, gain_se, df, float(scale), volume, value, level)
        bounds = [round_pence(Decimal(low)), round_pence(Decimal(high))]
    return AnnualSaving(
        annual_saving_pence=_pence(gain, factor_pence),
        se_pence=_pence(gain_se, abs(factor_pence)),
        ci_low_pence=bounds[0],
        ci_high_pence=bounds[1],
        ci_excludes_zero=gain_ci_low > 0 or gain_ci_high < 0,
        includes_input_ranges=ranged,
    )


# Draws for one saving's interval: each end's Monte Carlo SD is about 0.3 % of the
# interval's width (docs/STATISTICS.md "Savings with input ranges" measures it).
SAVING_DRAWS = 2**16
# A fixed seed: the same inputs always give the same pence (the digits spell issue 20).
MONEY_SEED = 20_2026


def _triangle(central, low_high) -> tuple[float, float, float]:
    """(low, mode, high) of an input as floats; an exact input is a triangle of no width."""
    mode = float(central)
    if low_high is None:
        return (mode, mode, mode)
    return (float(low_high[0]), mode, float(low_high[1]))


def gain_degrees_of_freedom(se: float, ci_low: float, ci_high: float, level: float) -> float:
    """The df of Student's t whose ``level`` quantile turns ``se`` into the CI's half-width
    (every design's CI is ``gain ± t_df · se``, `inference.t_inference`); infinite (the
    normal) when the half-width is z · se or less, or there is no SE."""
    if not se > 0:
        return math.inf
    critical = (ci_high - ci_low) / 2 / se
    upper = 0.5 + level / 2
    if not critical > float(special.ndtri(upper)) * (1 + 1e-9):
        return math.inf
    df = float(special.stdtridf(upper, critical))
    return df if df > 0 else math.inf  # NaN from an infinite half-width ÷ SE: no t


def triangular_quantile(u, low, mode, high):
    """Inverse CDF of the triangular distribution (min ``low``, mode ``mode``, max
    ``high``) at probabilities ``u`` (vectorised; a triangle of no width is its mode)."""
    low, mode, high = (np.asarray(x, dtype=float) for x in (low, mode, high))
    width = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        at_mode = np.where(width > 0, (mode - low) / width, 0.5)
    below = u < at_mode
    root = np.where(below, u, 1 - u)
    root *= np.where(below, (mode - low) * width, (high - mode) * width)
    np.sqrt(root, out=root)
    return np.where(below, low + root, high - root)


def simulated_saving_interval(
    gain: float,
    gain_se: float,
    gain_df: float,
    scale: float,
    volume: tuple[float, float, float],
    value_gbp: tuple[float, float, float],
    level: float = DEFAULT_LEVEL,
    draws: int = SAVING_DRAWS,
    seed: int = MONEY_SEED,
) -> tuple[float, float]:
    """The central ``level`` of the annual saving in pence, (gain + SE · T) ÷ scale · V · P,
    over ``draws`` seeded draws: T Student's t with ``gain_df`` (the gain's own sampling
    distribution, so exact inputs reproduce its t interval), V and P triangular (low, mode,
    high) and independent of each other, the Green Book's usual choice for a range with a
    most likely value (HM Treasury, Green Book 2022, annex on risk and uncertainty)."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(draws) if math.isinf(gain_df) else rng.standard_t(gain_df, draws)
    uniforms = rng.random((2, draws))
    savings = (gain + gain_se * noise) * (float(PENCE_PER_POUND) / scale)
    savings *= triangular_quantile(uniforms[0], *volume)
    savings *= triangular_quantile(uniforms[1], *value_gbp)
    tail = (1 - level) / 2
    low, high = np.quantile(savings, [tail, 1 - tail])
    return float(low), float(high)


def financial_year_start(day: date) -> date:
    """1 April of the UK financial year (April to March) that contains `day`."""
    year = day.year if day.month >= FINANCIAL_YEAR_START_MONTH else day.year - 1
    return date(year, FINANCIAL_YEAR_START_MONTH, 1)


def financial_year(day: date) -> str:
    """UK financial year label, April to March: 2025-05-01 → "2025-26"."""
    start = financial_year_start(day).year
    return f"{start}-{(start + 1) % 100:02d}"


def month_starts(first: date, before: date) -> list[date]:
    """The first day of each month from `first`'s month to the last month starting before
    `before`."""
    months, month = [], first.replace(day=1)
    while month < before:
        months.append(month)
        month += ONE_MONTH
    return months


def total_savings(items: Iterable[SavingItem], level: float = DEFAULT_LEVEL) -> SavingsTotal:
    """Sum of items with band ±z·√(Σ SE²), assuming independent items, plus the part of the
    total that comes from items whose own CI excludes zero."""
    items = list(items)
    total = sum(item.annual_saving_pence for item in items)
    se = math.sqrt(sum(float(item.se_pence) ** 2 for item in items))
    half_width = float(critical_value(level, math.inf)) * se
    return SavingsTotal(
        total_pence=total,
        se_pence=round_pence(Decimal(se)),
        band_low_pence=round_pence(Decimal(total - half_width)),
        band_high_pence=round_pence(Decimal(total + half_width)),
        from_items_excluding_zero_pence=sum(
            item.annual_saving_pence for item in items if item.ci_excludes_zero
        ),
        n_items=len(items),
        level=level,
    )


# Within a department the items' positions in their input ranges have this correlation
# (Gaussian copula): a department prices its units by one costing method and forecasts its
# demand together, so its errors lean the same way; halfway between independence (0) and
# one shared error (1), which nothing in the register can yet measure (decision 0034).
DEPARTMENT_INPUT_CORRELATION = 0.5
# Draws for a total: each end of the band moves by about 1 % of the band's width between
# seeds (0.07 % of its value at Treasury's size), and 10,000 ranged items take 3-6 s here
# (docs/STATISTICS.md "Savings with input ranges", docs/BENCHMARKS.md measure both).
TOTAL_DRAWS = 4096
# Items simulated at once (items × draws numbers per array): a few MB whatever the register.
DRAWS_PER_CHUNK = 2**19


@dataclass(frozen=True)
class RangedItem:
    """One saving as it enters `ranged_total`: central pence, statistical SE in pence,
    input ranges as ratios to the central value (low ≤ 1 ≤ high), its department, and a
    linear weight and offset so that weight × saving − offset (an NPV, say) is totalled by
    the same draws."""

    saving_pence: int
    se_pence: float
    department: Hashable
    volume_ratios: tuple[float, float] = (1.0, 1.0)
    value_ratios: tuple[float, float] = (1.0, 1.0)
    weight: float = 1.0
    offset_pence: int = 0


@dataclass(frozen=True)
class LowRankCovariance:
    """A department's statistical covariance (pence², items in `ranged_total`'s order) as a
    diagonal plus a few rank-one terms, Σ = diag(d) + F Fᵀ (F is items × r): the form of
    shrunk savings' prediction errors (diag(λv) plus the shared pooled mean's and τ̂²'s
    terms, `stats.shrunk_savings`). Its quadratic forms need no k × k matrix, so a department
    of thousands is simulated in chunks like independent items."""

    diagonal: np.ndarray
    factors: np.ndarray


@dataclass(frozen=True)
class RangedBand:
    """A total at the central inputs, its Monte Carlo band, and the totals with every input
    at its low and at its high (Treasury's sensitivity view)."""

    total_pence: int
    band_low_pence: int
    band_high_pence: int
    all_inputs_low_pence: int
    all_inputs_high_pence: int


@dataclass(frozen=True)
class RangedTotals:
    """`ranged_total`: the savings and the weighted total (weight × saving − offset)."""

    saving: RangedBand
    weighted: RangedBand
    n_items: int
    level: float
    correlation: float
    draws: int


def ranged_total(
    items: Iterable[RangedItem],
    department_covariances: Mapping[Hashable, np.ndarray] | None = None,
    level: float = DEFAULT_LEVEL,
    correlation: float = DEPARTMENT_INPUT_CORRELATION,
    draws: int = TOTAL_DRAWS,
) -> RangedTotals:
    """The total of many savings with a band that does not assume independence.

    Each draw moves every item's volume and £ per unit to a triangular position in its
    range (mode 1); within a department the positions are a Gaussian copula with
    ``correlation`` between items (volumes with volumes, prices with prices; volume and
    price independent), departments independent. Statistical errors are independent
    normals with the items' SEs, or for a department in ``department_covariances`` (pence²,
    its items in the order given; a matrix or a `LowRankCovariance`) drawn from it; scaled
    by the draw's inputs, their sum in each department is normal with the variance aᵀΣa, so
    each draw takes one normal per department for it, exactly. With exact inputs,
    independence and no covariance the band is `total_savings`' ±z·√ΣSE² to Monte Carlo
    error. Seeded by the department keys: the same items in the same order give the same
    pence.
    """
    if not 0 <= correlation <= 1:
        raise ValueError(f"correlation {correlation} is not between 0 and 1")
    items = list(items)
    covariances = department_covariances or {}
    by_department: dict[Hashable, list[RangedItem]] = {}
    for item in items:
        by_department.setdefault(item.department, []).append(item)
    saving_draws, weighted_draws = np.zeros(draws), np.zeros(draws)
    for department, members in by_department.items():
        saving, weighted = _department_draws(
            members, covariances.get(department), correlation, draws, department
        )
        saving_draws += saving
        weighted_draws += weighted
    tail = (1 - level) / 2
    return RangedTotals(
        saving=_band(items, saving_draws, tail, weighted=False),
        weighted=_band(items, weighted_draws, tail, weighted=True),
        n_items=len(items),
        level=level,
        correlation=correlation,
        draws=draws,
    )


def _band(items: list[RangedItem], draws: np.ndarray, tail: float, weighted: bool) -> RangedBand:
    def total(volume_end: int, value_end: int) -> int:
        amount = Decimal(0)
        with localcontext(WHOLE_PENCE):  # exact sums, however large
            for item in items:
                ratio = as_decimal(_at(item.volume_ratios, volume_end))
                ratio *= as_decimal(_at(item.value_ratios, value_end))
                saving = item.saving_pence * ratio
                amount += (
                    as_decimal(item.weight) * saving - item.offset_pence if weighted else saving
                )
        return round_pence(amount)

    low, high = np.quantile(draws, [tail, 1 - tail]) if len(draws) else (0.0, 0.0)
    return RangedBand(
        total_pence=total(1, 1),
        band_low_pence=round_pence(Decimal(float(low))),
        band_high_pence=round_pence(Decimal(float(high))),
        all_inputs_low_pence=total(0, 0),
        all_inputs_high_pence=total(2, 2),
    )


def _at(ratios: tuple[float, float], end: int) -> float:
    return 1.0 if end == 1 else float(ratios[0 if end == 0 else 1])


def _department_draws(members, covariance, correlation, draws, department):
    """One department's saving and weighted totals over the draws (two arrays)."""
    rng = np.random.default_rng([MONEY_SEED, zlib.crc32(repr(department).encode())])
    saving = np.array([float(m.saving_pence) for m in members])
    weight = np.array([float(m.weight) for m in members])
    offset = float(sum(m.offset_pence for m in members))
    ranges = np.array([(*m.volume_ratios, *m.value_ratios) for m in members], dtype=float)
    factors = None
    if isinstance(covariance, LowRankCovariance):
        variance = np.asarray(covariance.diagonal, dtype=float)
        factors = np.asarray(covariance.factors, dtype=float)
        if variance.shape != (len(members),) or factors.shape[:1] != (len(members),):
            raise ValueError(f"department {department!r}: covariance is not for {len(members)}")
        covariance = None
        projections = np.zeros((2, factors.shape[1], draws))  # Fᵀa and Fᵀ(weight · a)
    elif covariance is not None and np.shape(covariance) != (len(members), len(members)):
        raise ValueError(f"department {department!r}: covariance is not {len(members)} × itself")
    else:
        variance = np.array([float(m.se_pence) ** 2 for m in members])
    shared = rng.standard_normal((2, draws))
    # Whole departments with a dense covariance (its quadratic form needs every item at once).
    step = len(members) if covariance is not None else max(1, DRAWS_PER_CHUNK // draws)
    sums = np.zeros((5, draws))  # saving, weighted, and the three quadratic forms
    for start in range(0, len(members), step):
        chunk = slice(start, start + step)
        multiplier = _input_multipliers(rng, ranges[chunk], shared, correlation)
        sums[:2] += np.stack([saving[chunk], weight[chunk] * saving[chunk]]) @ multiplier
        if covariance is None:  # Σ diagonal: aᵀΣa = Σ SE² · a²
            terms = variance[chunk] * np.stack([np.ones(len(multiplier)), weight[chunk]])
            square = multiplier**2
            sums[2:4] += terms @ square
            sums[4] += (terms[1] * weight[chunk]) @ square
            if factors is not None:  # the rank-one terms: (fᵀa)², summed over the chunks first
                projections[0] += factors[chunk].T @ multiplier
                projections[1] += (factors[chunk] * weight[chunk, None]).T @ multiplier
        else:
            matrix = np.asarray(covariance, dtype=float)
            weighted_multiplier = weight[:, None] * multiplier
            spread = matrix @ multiplier
            sums[2] += np.einsum("id,id->d", multiplier, spread)
            sums[3] += np.einsum("id,id->d", weighted_multiplier, spread)
            sums[4] += np.einsum("id,id->d", weighted_multiplier, matrix @ weighted_multiplier)
    if factors is not None:
        sums[2] += np.sum(projections[0] ** 2, axis=0)
        sums[3] += np.sum(projections[0] * projections[1], axis=0)
        sums[4] += np.sum(projections[1] ** 2, axis=0)
    # The department's statistical error for the saving and for the weighted total: jointly
    # normal with variances A, C and covariance B, drawn by the 2 × 2 Cholesky factor.
    a, b, c = np.clip(sums[2], 0, None), sums[3], np.clip(sums[4], 0, None)
    z = rng.standard_normal((2, draws))
    root_a = np.sqrt(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        along = np.where(root_a > 0, b / root_a, 0.0)
    across = np.sqrt(np.clip(c - along**2, 0, None))
    saving_total = sums[0] + root_a * z[0]
    weighted_total = sums[1] - offset + along * z[0] + across * z[1]
    return saving_total, weighted_total


def _input_multipliers(rng, ranges, shared, correlation):
    """Each item's volume ratio × £-per-unit ratio in each draw (items × draws): triangular
    (low, 1, high) at positions Φ(√ρ·shared + √(1 − ρ)·own), the department's shared normal
    for volumes and another for prices."""
    multiplier = np.ones((len(ranges), shared.shape[1]))
    for column, common in ((0, shared[0]), (2, shared[1])):
        rows = np.flatnonzero(ranges[:, column] < ranges[:, column + 1])  # exact inputs stay 1
        position = rng.standard_normal((len(rows), shared.shape[1]))
        position *= math.sqrt(1 - correlation)
        position += math.sqrt(correlation) * common
        special.ndtr(position, out=position)
        low, high = ranges[rows, column, None], ranges[rows, column + 1, None]
        ratio = triangular_quantile(position, low, 1.0, high)
        if len(rows) == len(ranges):  # every item ranged: no gather and scatter
            multiplier *= ratio
        else:
            multiplier[rows] *= ratio
    return multiplier


def split_by_cashable(
    items: Iterable[SavingItem], level: float = DEFAULT_LEVEL
) -> dict[str, SavingsTotal]:
    """Totals for cashable and non-cashable savings (time or capacity released)."""
    items = list(items)
    return {
        "cashable": total_savings([i for i in items if i.cashable], level),
        "non_cashable": total_savings([i for i in items if not i.cashable], level),
    }


def as_decimal(value) -> Decimal:
    """A number as the decimal it is written as: the float 0.1 is one tenth, not its binary."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _pence(statistic: float, factor_pence: Decimal) -> int:
    return round_pence(Decimal(statistic) * factor_pence)


# Enough digits for any float's whole part (10^308), so rounding to pence never fails.
WHOLE_PENCE = Context(prec=400)


def round_pence(amount: Decimal) -> int:
    """Whole pence, rounded half up (the convention for sterling amounts)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=WHOLE_PENCE))


@dataclass(frozen=True)
class CumulativeSeries:
    """Cumulative net pence and its variance (pence²) at the end of each month shown."""

    months: list[date]
    net_pence: np.ndarray
    variance: np.ndarray

    def by_month(self) -> dict[date, tuple[float, float]]:
        """{month: (net pence, variance)}."""
        pairs = zip(self.net_pence.tolist(), self.variance.tolist(), strict=True)
        return dict(zip(self.months, pairs, strict=True))


def cumulative_by_month(
    go_live: Sequence[date],
    ended_on: Sequence[date | None],
    annual_saving_pence: Sequence[float],
    se_pence: Sequence[float],
    implementation_cost_pence: Sequence[float],
    today: date,
) -> CumulativeSeries:
    """The sum over items of each one's cumulative net saving, month by month.

    Per item: from its go-live month, the accrued fraction of a year grows by 1/12 × each
    month's share of its days in [go-live, min(today, end)) (the first month pro rata, later
    months whole, the current or ending month pro rata to the day), so it stays where
    it stopped after the end; the month's figure is annual saving × accrued years − the cost
    (deducted once, from the go-live month), and its variance (SE × accrued years)², items
    independent. Months run from the earliest go-live to the last month that starts before
    today. Items that go live after today count nowhere. Computed as one items × months
    array, a few thousand items at a time, so a register of any size is a handful of numpy
    operations rather than a Python loop per item and month.
    """
    go = np.array([day.toordinal() for day in go_live], dtype=np.int64)
    live = go <= today.toordinal()
    if not live.any():
        return CumulativeSeries([], np.zeros(0), np.zeros(0))
    first = date.fromordinal(int(go[live].min())).replace(day=1)
    months = month_starts(first, today)
    if not months:
        return CumulativeSeries([], np.zeros(0), np.zeros(0))
    starts = np.array([m.toordinal() for m in months], dtype=np.int64)
    nexts = np.array([(m + ONE_MONTH).toordinal() for m in months], dtype=np.int64)
    ends = np.array(
        [min(today, end).toordinal() if end else today.toordinal() for end in ended_on],
        dtype=np.int64,
    )
    first_month = np.array([day.replace(day=1).toordinal() for day in go_live], dtype=np.int64)
    annual = np.asarray(annual_saving_pence, dtype=float)
    se = np.asarray(se_pence, dtype=float)
    cost = np.asarray(implementation_cost_pence, dtype=float)
    net, variance = np.zeros(len(months)), np.zeros(len(months))
    for chunk in np.array_split(np.flatnonzero(live), max(1, live.sum() // 2000)):
        days = np.minimum(ends[chunk, None], nexts) - np.maximum(go[chunk, None], starts)
        shares = np.clip(days, 0, None) / (nexts - starts)
        accrued = np.cumsum(shares, axis=1) / MONTHS_PER_YEAR
        counted = starts >= first_month[chunk, None]
        net += np.where(counted, annual[chunk, None] * accrued - cost[chunk, None], 0.0).sum(0)
        variance += np.where(counted, (se[chunk, None] * accrued) ** 2, 0.0).sum(0)
    return CumulativeSeries(months, net, variance)
