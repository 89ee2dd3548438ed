"""Each listed improvement's result and saving, for the improvements list (issue 21).

A list page shows 25 rows: their current estimates are read as columns in one query (the JSON
document is not loaded), and each saving is priced by the remembered prices
(`money.savings.saving_for`), so the page's query count does not grow with its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from gains.extensions import db
from gains.models import Direction, Estimate, Improvement
from gains.services.estimates.current import estimate_at_current_version
from gains.services.estimates.plain_english import VERDICT_WORDS, Verdict, verdict_of
from gains.services.money.savings import saving_for
from gains.stats.inference import DEFAULT_LEVEL
from gains.stats.money import AnnualSaving


@dataclass(frozen=True)
class ListedResult:
    """An improvement's current estimate as its list row shows it: the raw change (after
    minus before, in the metric's units) with its interval, what that means, and the annual
    saving with its interval when the money terms are set."""

    effect: float
    ci_low: float
    ci_high: float
    level: float
    verdict: Verdict
    evidence_level: int | None
    saving: AnnualSaving | None

    @property
    def verdict_words(self) -> str:
        return VERDICT_WORDS[self.verdict]


def listed_results(improvements: Iterable[Improvement]) -> dict[int, ListedResult]:
    """The result of each improvement that has a current estimate with an interval, in one
    query; the rest are left out (the list says "Not enough data yet")."""
    by_id = {improvement.id: improvement for improvement in improvements}
    if not by_id:
        return {}
    stmt = select(
        Estimate.improvement_id,
        Estimate.effect,
        Estimate.ci_low,
        Estimate.ci_high,
        Estimate.gain,
        Estimate.se,
        Estimate.gain_ci_low,
        Estimate.gain_ci_high,
        Estimate.evidence_level,
        Estimate.result["df"].as_float(),
        Estimate.result["level"].as_float(),
    ).where(Estimate.effect.is_not(None), Estimate.ci_low.is_not(None))
    results = {}
    for row in db.session.execute(estimate_at_current_version(stmt, by_id.values())):
        improvement_id, effect, ci_low, ci_high, gain, se, gain_low, gain_high = row[:8]
        evidence_level, df, level = row[8:]
        improvement = by_id[improvement_id]
        level = level or DEFAULT_LEVEL
        saving = saving_for(
            improvement,
            {
                "gain": gain,
                "se": se,
                "gain_ci_low": gain_low,
                "gain_ci_high": gain_high,
                "df": df,
                "level": level,
            },
        )
        results[improvement_id] = ListedResult(
            effect=effect,
            ci_low=ci_low,
            ci_high=ci_high,
            level=level,
            verdict=verdict_of(
                ci_low, ci_high, higher_is_better=improvement.direction is Direction.HIGHER
            ),
            evidence_level=evidence_level,
            saving=saving,
        )
    return results
