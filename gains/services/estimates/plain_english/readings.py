"""An estimate and its interval in words a non-statistician understands.

"Most likely about 2.3 minutes shorter per case, and very probably between 1.2 and 3.4." The
public register and the staff pages show this `plain_reading` instead of "effect −2.3 (95% CI
−3.4 to −1.2)" (decision 0041). Pure functions:
numbers and the metric's own words in, sentences out; no database, no Flask.

The words follow the metric's unit: durations get shorter or longer, percentages move by
percentage points, rates ("per 1,000 bills") get more or fewer, anything else higher or
lower. Whether the change helped comes from the direction the team declared (higher or
lower is better) and from the interval alone: if it includes no change, the data cannot tell.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gains.numbers import (
    MINUS,
    OTHER_UNITS,
    TIME_UNITS,
    count,
    estimate_pence_gbp,
    number,
    plural,
    with_interval,
)
from gains.services.estimates.plain_english.explanations import interval_meaning
from gains.stats.runs import ADVISED_BASELINE_POINTS, RunChart


class Verdict(enum.StrEnum):
    BETTER = "better"
    WORSE = "worse"
    UNCLEAR = "unclear"


VERDICT_HEADLINES = {
    Verdict.BETTER: "The change helped",
    Verdict.WORSE: "The change made things worse",
    Verdict.UNCLEAR: "The data cannot tell whether the change helped",
}
# The same verdict in a list's or a file's few words (the improvements list, its CSV).
VERDICT_WORDS = {
    Verdict.BETTER: "Helped",
    Verdict.WORSE: "Made worse",
    Verdict.UNCLEAR: "Cannot tell",
}


@dataclass(frozen=True)
class PlainResult:
    verdict: Verdict
    sentence: str  # the most likely value and the range (`plain_reading`)
    explanation: str  # which way is better, and so what the range means

    @property
    def headline(self) -> str:
        return VERDICT_HEADLINES[self.verdict]

    @property
    def text(self) -> str:
        return f"{self.sentence} {self.explanation}"


@dataclass(frozen=True)
class _Wording:
    """How amounts of one metric read: '2.3 minutes shorter', '5 fewer per 1,000 bills'."""

    singular: str
    plural: str
    up: str  # the word for an increase
    down: str  # the word for a decrease
    word_first: bool  # "5 fewer calls" rather than "5 calls fewer"
    tail: str  # " per case", " per 1,000 bills" or ""

    def amount(self, value: float, *, increase: bool, shown: str | None = None) -> str:
        """`shown`: the magnitude as already written (an interval's shared precision)."""
        number = shown if shown is not None else format_amount(value)
        noun = self.singular if number == "1" else self.plural
        word = self.up if increase else self.down
        parts = [number, word, noun] if self.word_first else [number, noun, word]
        return " ".join(part for part in parts if part)


def _wording(unit: str, per: str | None) -> _Wording:
    unit = " ".join(unit.split())
    per_tail = f" per {per.strip()}" if per and per.strip() else ""
    if unit.startswith("%"):
        return _Wording("percentage point", "percentage points", "higher", "lower", False, "")
    if unit.lower().startswith("per "):
        return _Wording("", "", "more", "fewer", True, f" {unit}")
    head, separator, rest = unit.partition(" per ")
    tail = f" per {rest}" if separator else per_tail
    key = head.lower().rstrip(".")
    if key in TIME_UNITS:
        singular, plural = TIME_UNITS[key]
        return _Wording(singular, plural, "longer", "shorter", False, tail)
    singular, plural = OTHER_UNITS.get(key, (head, head))
    return _Wording(singular, plural, "higher", "lower", False, tail)


def format_amount(value: float) -> str:
    """A magnitude to about three significant figures, with thousands separators."""
    return number(abs(value))


def verdict_of(ci_low: float, ci_high: float, *, higher_is_better: bool) -> Verdict:
    """Better or worse only when the whole interval of the raw change is on one side of 0."""
    if ci_low > 0:
        return Verdict.BETTER if higher_is_better else Verdict.WORSE
    if ci_high < 0:
        return Verdict.WORSE if higher_is_better else Verdict.BETTER
    return Verdict.UNCLEAR


def describe_change(
    effect: float,
    ci_low: float,
    ci_high: float,
    *,
    higher_is_better: bool,
    unit: str,
    per: str | None = None,
    level: float = 0.95,
) -> PlainResult:
    """The raw change (after minus before, in the metric's unit) and its interval in words.

    `per` is the unit of observation ("case"), used when the unit does not already say what
    it is per. `level` is the interval's confidence level.
    """
    low, high = sorted((ci_low, ci_high))
    wording = _wording(unit, per)
    verdict = verdict_of(low, high, higher_is_better=higher_is_better)
    better = (wording.up if higher_is_better else wording.down).capitalize()
    meaning = {
        Verdict.BETTER: "so the change helped",
        Verdict.WORSE: "so the change made things worse",
        Verdict.UNCLEAR: (
            "but the range includes no change at all, so the data cannot tell whether the "
            "change helped, made no difference or made things worse"
        ),
    }[verdict]
    explanation = f"{better} is better here, {meaning}. {interval_meaning(level)}"
    sentence = plain_reading(effect, low, high, unit=unit, per=per, level=level)
    return PlainResult(verdict, sentence, explanation)


def plain_reading(
    effect: float,
    ci_low: float | None,
    ci_high: float | None,
    *,
    unit: str,
    per: str | None = None,
    level: float = 0.95,
) -> str:
    """The raw change (after minus before) in one line: the most likely value first, then the
    interval ("Most likely about 4 minutes shorter per renewal, and very probably between 2
    and 6."). Says nothing about better or worse: the panel's headline does that."""
    wording = _wording(unit, per)
    if ci_low is None or ci_high is None:
        likely = _likely(effect, wording, width=0.0)
        return f"{likely}{wording.tail}: there is no range to say how sure that is."
    low, high = sorted((ci_low, ci_high))
    # The estimate and both ends at the interval's one precision, as every other place on the
    # page writes them (gains.numbers.with_interval), without their signs: the words say it.
    shown_effect, shown_low, shown_high = map(_magnitude, with_interval(effect, low, high))
    likely = _likely(effect, wording, width=high - low, shown=shown_effect)
    sure = "very probably" if level >= 0.95 else "probably"
    # "per case" follows the first amount the line gives.
    no_change = likely == NO_CHANGE
    first_tail, last_tail = ("", wording.tail) if no_change else (wording.tail, "")
    if low < 0 < high:
        return (
            f"{likely}{first_tail}, but it could be anywhere from "
            f"{wording.amount(low, increase=False, shown=shown_low)} to "
            f"{wording.amount(high, increase=True, shown=shown_high)}{last_tail}."
        )
    far = low if high <= 0 else high
    shown_near, shown_far = (shown_low, shown_high) if high > 0 else (shown_high, shown_low)
    if no_change:
        return (
            f"{likely}, and {sure} no more than "
            f"{wording.amount(far, increase=far > 0, shown=shown_far)}{last_tail}."
        )
    if shown_near == shown_far:
        return f"{likely}{wording.tail}, and {sure} about {shown_far}."
    span = f"between {shown_near} and {shown_far}"
    return f"{likely}{wording.tail}, and {sure} {span}."


NO_CHANGE = "Most likely close to no change"


def _magnitude(written: str) -> str:
    """A number as `with_interval` wrote it, without its sign and, in a sentence, without
    trailing zeros ("about 4 minutes", "between 0.5 and 1.5")."""
    magnitude = written.removeprefix(MINUS).removeprefix("-")
    return magnitude.rstrip("0").rstrip(".") if "." in magnitude else magnitude


def _likely(effect: float, wording: _Wording, *, width: float, shown: str | None = None) -> str:
    # Tiny next to the interval's width (under 1%), an estimate reads as no change at all.
    shown = shown if shown is not None else format_amount(effect)
    if abs(effect) < width / 100 or not shown.strip("0.,"):
        return NO_CHANGE
    return f"Most likely about {wording.amount(effect, increase=effect > 0, shown=shown)}"


def format_pounds(pence: int) -> str:
    """Whole pounds to three significant figures (the one rule for an estimated amount)."""
    return estimate_pence_gbp(abs(pence))


def describe_saving(saving_pence: int, low_pence: int, high_pence: int) -> str:
    """A validated annual saving and its range in words; a loss is called a cost."""
    if low_pence >= 0:
        return (
            f"About {format_pounds(saving_pence)} a year, somewhere between "
            f"{format_pounds(low_pence)} and {format_pounds(high_pence)}."
        )
    if high_pence <= 0:
        return (
            f"A cost of about {format_pounds(saving_pence)} a year, somewhere between "
            f"{format_pounds(high_pence)} and {format_pounds(low_pence)}."
        )

    def phrase(pence: int) -> str:
        return f"a {'cost' if pence < 0 else 'saving'} of {format_pounds(pence)}"

    return (
        f"Most likely {phrase(saving_pence)} a year, but anywhere from {phrase(low_pence)} "
        f"to {phrase(high_pence)}: it may save nothing."
    )


def run_chart_reading(runs: RunChart) -> str:
    """The run chart's two rules (`stats.runs`) in one sentence for a manager."""
    run = f"{plural(runs.longest_run, 'week')} in a row on one side of the median, where "
    run += f"more than {count(runs.longest_run_limit)} would be unusual"
    crossings = f"{plural(runs.crossings, 'crossing')} of the median, where fewer than "
    crossings += f"{count(runs.crossings_limit)} would be unusual"
    if runs.unusually_long_run and runs.too_few_crossings:
        return f"A sign that something changed: {run}, and only {crossings}."
    if runs.unusually_long_run:
        return f"A sign that something changed: {run}."
    if runs.too_few_crossings:
        return f"A sign that something changed: only {crossings}."
    return f"No sign of change beyond chance: {run}, and {crossings}."


def run_chart_baseline_note(runs: RunChart) -> str | None:
    """Said under the run chart when its median rests on few weeks (`stats.runs`)."""
    if not runs.short_baseline:
        return None
    return (
        f"The median rests on only {plural(runs.n_baseline, 'week')} before go-live: the run rules "
        f"are more reliable with at least {ADVISED_BASELINE_POINTS}."
    )
