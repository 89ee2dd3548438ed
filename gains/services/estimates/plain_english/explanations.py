""" "What does this mean?" for every statistic a page shows, written for a manager with no
statistics, in the words of the public page.

Each function returns an `Explanation`: the text of a GOV.UK details component (closed by
default; templates/partials/explain.html renders it). The general meaning comes first, then
what it says about the figure beside it, when a figure is given. Pure functions: numbers in,
sentences out; no database, no Flask.

The facts they state are the code's: Hedges' g is signed so that positive is better
(stats/assemble.py multiplies the raw after-minus-before g by the metric's direction); the
XmR rules are stats/spc.py's; the evidence levels are stats/evidence.py's; power is planned
at 80 % with 5 % significance (services/improvements/planning.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from gains.stats.evidence import LEVEL_LABELS

# The 95 % interval's meaning, word for word as the public page's reading ends.
INTERVAL_MEANING = (
    "The range is a {percent}% confidence interval: worked out this way, it contains the true "
    "change {percent} times out of 100."
)


@dataclass(frozen=True)
class Explanation:
    summary: str  # the details component's summary line
    paragraphs: tuple[str, ...]
    bullets: tuple[str, ...] = ()  # a list after the first paragraph


def _percent(level: float) -> int:
    return round(level * 100)


def interval_meaning(level: float = 0.95) -> str:
    """The sentence the public page ends its reading with, for the staff pages too."""
    return INTERVAL_MEANING.format(percent=_percent(level))


def explain_interval(level: float = 0.95) -> Explanation:
    """The confidence interval ("95% CI")."""
    return Explanation(
        f"What does the {_percent(level)}% interval mean?",
        (
            "No study measures a change exactly: another set of cases would give a slightly "
            "different answer. The interval is the range of changes the data are consistent "
            f"with. {interval_meaning(level)}",
            "If the whole range is on the better side of no change, the change helped. If "
            "the range includes no change at all, the data cannot tell whether the change "
            "helped, made no difference or made things worse. A wide range means the data "
            "say little yet: more measurements narrow it.",
        ),
    )


def explain_p_value(p_value: float | None, *, alpha: float = 0.05) -> Explanation:
    """The p-value, and what this one says (none for methods that give no p-value)."""
    general = (
        "The p-value is how often a difference at least this large would turn up by chance "
        "if the change had made no difference at all. A small p-value means chance alone is "
        f"an unlikely explanation; {alpha:g} is the usual line. It does not say how large or "
        "how worthwhile the change is: the range does that."
    )
    if p_value is None:
        reading = "This method gives no p-value: read the range instead."
    elif p_value < alpha:
        reading = (
            f"Here it is below {alpha:g}: a difference this large would rarely appear by "
            "chance alone."
        )
    else:
        reading = (
            f"Here it is {alpha:g} or more: a difference this large could well appear by "
            "chance alone, so the data cannot rule out that the change made no difference. "
            "That is not proof that it made none."
        )
    return Explanation("What does the p-value mean?", (general, reading))


def explain_adjusted_p() -> Explanation:
    """The Benjamini-Hochberg adjusted p a reviewer decides by."""
    return Explanation(
        "What does the adjusted p mean?",
        (
            "When a department tests many improvements, some will look like they worked by "
            "chance alone. The adjusted p allows for that: it raises each p-value according "
            "to how many the department tested in the financial year. If results count as "
            "real when their adjusted p is below 0.05, at most about 1 in 20 of those "
            "results is expected to be a fluke.",
            "A reviewer reads the adjusted p, not the p-value, when deciding whether the data "
            "show a real change.",
        ),
    )


def explain_hedges_g(
    hedges_g: float | None = None,
    effect: float | None = None,
    *,
    higher_is_better: bool | None = None,
) -> Explanation:
    """Hedges' g, and why its sign can differ from the raw change's (after minus before).

    Without `higher_is_better` (a list of many improvements), only what g means and its sign.
    """
    sign = (
        "Gains gives g the sign of the result: positive means the change helped, negative "
        "that it made things worse. The effect (after minus before) keeps the sign of the "
        "measurements."
    )
    if higher_is_better is not None:
        sign += f" Here {'higher' if higher_is_better else 'lower'} is better, so " + (
            "the two have the same sign."
            if higher_is_better
            else "the two have opposite signs: a fall in the measurements is a positive g."
        )
    paragraphs = [
        "Hedges' g is the change measured in standard deviations, the usual spread of the "
        "measurements, instead of in the metric's own unit. That lets a department compare "
        "and pool improvements measured in minutes, percentages or counts. As a rough guide, "
        "0.2 is a small change, 0.5 a medium one and 0.8 a large one.",
        sign,
    ]
    if higher_is_better is not None and hedges_g is None:
        paragraphs.append("This method gives no g, so this improvement is not pooled.")
    elif higher_is_better is not None and g_sign_note(hedges_g, effect):
        paragraphs.append(
            f"That is why g is {'positive' if hedges_g > 0 else 'negative'} here while the "
            f"effect is {'negative' if effect < 0 else 'positive'}."
        )
    return Explanation("What does Hedges' g mean?", tuple(paragraphs))


def g_sign_note(hedges_g: float | None, effect: float | None) -> str | None:
    """Beside "Effect (after minus before)" when Hedges' g has the other sign (None if not)."""
    if hedges_g is None or effect is None or hedges_g * effect >= 0:
        return None
    return (
        f"Hedges' g is {'positive' if hedges_g > 0 else 'negative'} although this is "
        f"{'negative' if effect < 0 else 'positive'}: g is positive whenever the change helped."
    )


def explain_power(*, power: float = 0.8, alpha: float = 0.05) -> Explanation:
    """Power, the smallest detectable effect and the planned sample size."""
    times = round(power * 10)
    return Explanation(
        "What do power and the planned sample size mean?",
        (
            "Power is the chance that the study shows a real effect of a given size, rather "
            f"than an inconclusive result. Gains plans for {power:.0%} power: a real effect as "
            f"large as the smallest detectable effect is found {times} times in 10 (at "
            f"{alpha:.0%} significance, the usual line for the p-value).",
            "The planned sample size is how many measurements each phase needs for the "
            "expected effect to be found that often. With fewer, a real effect is more often "
            "missed: an inconclusive result from a small study is not evidence that the "
            "change did nothing.",
        ),
    )


def explain_data_version() -> Explanation:
    """The data version an estimate, a chart or an approval names."""
    return Explanation(
        "What does the data version mean?",
        (
            "The data version counts changes to what the estimate is worked out from: it goes "
            "up by one each time measurements are added, edited or removed, or the plan "
            "behind the estimate changes. Estimates, charts and approvals each say which "
            "version they used, so you can tell whether they reflect the data as they stand "
            "now.",
        ),
    )


# The special-cause rules by the names stats/spc.py gives them, in the words of the page.
XMR_RULES = {
    "outside_limits": "outside limits: a week above the upper or below the lower process limit",
    "shift": ("shift: 7 or more weeks in a row on the same side of the average before go-live"),
    "trend": "trend: 6 or more weeks in a row each higher, or each lower, than the one before",
    "two_of_three_beyond_two_sigma": (
        "two of three beyond two sigma: 2 of 3 weeks in a row more than two thirds of the "
        "way to a process limit, on the same side"
    ),
}


def explain_xmr(*, special_causes_before_go_live: int = 0) -> Explanation:
    """The XmR chart, its rules, and what a special cause before go-live means for the result."""
    paragraphs = [
        "An XmR chart plots the weekly average in time order. The centre line is the average "
        "before go-live. The process limits show how far weekly averages wander when only "
        "everyday variation is at work (the average ± 2.66 times the typical change from one "
        "week to the next). A week flagged as a special cause is unlikely to be everyday "
        "variation. Gains uses the rules of NHS England's Making Data Count:",
        "After go-live, special causes are what a working change looks like: the process "
        "moved. Before go-live they mean the before period was not stable: something was "
        "already changing, so comparing before with after may be unfair, and the estimate "
        "may credit the change with, or blame it for, what was happening anyway.",
    ]
    if special_causes_before_go_live:
        weeks = special_causes_before_go_live
        paragraphs.append(
            f"Here {weeks} week{'s' if weeks != 1 else ''} before go-live "
            f"{'are' if weeks != 1 else 'is'} flagged: read the result with care."
        )
    return Explanation(
        "What do the XmR chart and its special causes mean?",
        tuple(paragraphs),
        tuple(XMR_RULES.values()),
    )


POOLING_ESTIMATORS = {
    "dl": "DerSimonian-Laird",
    "pm": "Paule-Mandel",
}


def explain_pooling() -> Explanation:
    """The department's pooled effect: DL/PM, τ², I², Q and the prediction interval."""
    return Explanation(
        "What do the pooled effect and these terms mean?",
        (
            "The pooled effect combines the department's approved improvements into one "
            "average effect, in standard deviations (Hedges' g: positive means better). "
            "Improvements with more precise results count for more.",
        ),
        (
            "Between-improvement variance (τ², tau squared): how much the improvements' real "
            "effects differ from one another, beyond chance. 0 means they look alike.",
            "DerSimonian-Laird and Paule-Mandel: two standard ways to estimate τ² from the "
            "data. When they disagree, there are too few improvements to pin the differences "
            "down: read the pooled effect with care.",
            "I² (I squared): the share of the differences between the improvements' results "
            "that is real rather than chance. Around 25% is low, 50% moderate and 75% high.",
            "Q: the test of whether the improvements differ by more than chance. A small "
            "p-value for Q means they do.",
            "The confidence interval is the range for the average effect. The prediction "
            "interval is wider: the range in which the effect of a new improvement like "
            "these would most likely fall.",
        ),
    )


def explain_idea_pooling(relative: bool) -> Explanation:
    """An idea's pooled result across the places that tried it (issue 22, decision 0047)."""
    scale = (
        "as a relative change: the change as a share of where each place would otherwise "
        "have been, so places that measure in different units can be compared"
        if relative
        else "in standard deviations (Hedges' g), because at least one place's result has no "
        "clear baseline to take a share of"
    )
    return Explanation(
        "How are the places' results combined?",
        (
            f"Each place's result is put on one scale, {scale}. Positive means better.",
            "The pooled result is their average, the more precise results counting for more, "
            "allowing for real differences between places (a random-effects model, as on the "
            "department dashboard).",
            "What to expect if you adopt it is the prediction interval: the range in which "
            "the result of one more place trying it would most likely fall. It is wider than "
            "the pooled result's interval because places differ.",
        ),
    )


# Below this many places the prediction interval's t has at most 2 degrees of freedom
# (k - 2): its 95% multiplier is 12.7 at k = 3 and 4.3 at k = 4, so the range is honest but
# very wide, and the reader is told why rather than left to wonder.
FEW_PLACES = 5


def expect_if_adopted(low: str, high: str, places: int) -> str:
    """The prediction interval as "what to expect if you adopt it" (`low`, `high` shown),
    saying so when `places` are too few for it to be narrow."""
    sentence = (
        f"What to expect if you adopt it: a result most likely between {low} and {high} "
        "(the prediction interval, which allows for how much places differ)."
    )
    if places < FEW_PLACES:
        sentence += (
            f" With only {places} places, Gains can say little about how much a new place's "
            "result could differ, so this range is very wide; it narrows as more places "
            "report."
        )
    return sentence


# Level 1 of the scale is a snapshot with nothing to compare against; every improvement here
# compares before with after, so the lowest level Gains gives is 2 (stats/evidence.py).
LEVEL_1 = "Level 1 of 5: a single snapshot, nothing to compare with (Gains never gives this)"


def explain_evidence_level(level: int | None = None) -> Explanation:
    """The evidence levels 1 to 5, and which one this estimate has."""
    paragraphs = [
        "The evidence level says how well the design rules out other explanations for the "
        "change, such as a trend that was already under way or a busier season. It follows "
        "the Maryland Scientific Methods Scale that the What Works centres use. The higher "
        "the level, the more confident you can be that the change, and not something else, "
        "caused the result:",
        "For a time series, level 3 is a long series of weeks before and after the change, "
        "and level 4 a series compared with a control series.",
        "Validated savings count improvements at level 3 or above. Level 2 savings are "
        "reported, not validated: without a comparison group, part of the change may have "
        "happened anyway.",
    ]
    if level is not None:
        paragraphs.append(f"This estimate is at level {level}.")
    return Explanation(
        "What does the evidence level mean?",
        tuple(paragraphs),
        (LEVEL_1, *(LEVEL_LABELS[number] for number in sorted(LEVEL_LABELS))),
    )


def explain_cycle_estimates() -> Explanation:
    """Why a PDSA cycle's own estimate describes that try and is not the figure that counts
    (docs/STATISTICS.md "PDSA cycles"; decision 0048)."""
    return Explanation(
        "Why the estimate above is the one that counts",
        (
            "Each cycle’s estimate compares every measurement from before go-live with the "
            "measurements after go-live that were added while that cycle was open. It describes "
            "how that try went.",
            "Looking at several cycles and keeping the best one is several comparisons: one of "
            "them can look good by chance alone. So the estimate that is reviewed, counted in "
            "savings and published stays the improvement’s one estimate, from all its "
            "measurements. The adopted change is the latest cycle whose decision was to adopt.",
        ),
    )
