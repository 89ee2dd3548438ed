"""The plain-English readings the public register and the staff pages share, pinned word for
word."""

import pytest

from gains.services.estimates.plain_english import (
    Verdict,
    describe_change,
    describe_saving,
    format_amount,
    plain_reading,
)

CONFIDENCE = (
    "The range is a 95% confidence interval: worked out this way, it contains the true "
    "change 95 times out of 100."
)


@pytest.mark.parametrize(
    ("arguments", "sentence", "verdict", "explanation"),
    [
        pytest.param(
            (-2.3, -3.4, -1.2, False, "min", "case"),
            "Most likely about 2.3 minutes shorter per case, and very probably between 1.2 "
            "and 3.4.",
            Verdict.BETTER,
            "Shorter is better here, so the change helped.",
            id="positive result, lower is better",
        ),
        pytest.param(
            (1.0, 0.5, 1.5, False, "min", "case"),
            "Most likely about 1 minute longer per case, and very probably between 0.5 and 1.5.",
            Verdict.WORSE,
            "Shorter is better here, so the change made things worse.",
            id="negative result, lower is better",
        ),
        pytest.param(
            (4.62, 3.18, 6.07, True, "% of letters", "reminder letter"),
            # The interval's width (2.9) to 2 significant figures sets the places (issue 21).
            "Most likely about 4.6 percentage points higher, and very probably between 3.2 "
            "and 6.1.",
            Verdict.BETTER,
            "Higher is better here, so the change helped.",
            id="positive result, higher is better",
        ),
        pytest.param(
            (-2.0, -3.1, -0.9, True, "% of accounts", "account"),
            "Most likely about 2 percentage points lower, and very probably between 0.9 and 3.1.",
            Verdict.WORSE,
            "Higher is better here, so the change made things worse.",
            id="negative result, higher is better",
        ),
        pytest.param(
            (0.3, -0.5, 1.2, False, "min", "case"),
            "Most likely about 0.3 minutes longer per case, but it could be anywhere from 0.5 "
            "minutes shorter to 1.2 minutes longer.",
            Verdict.UNCLEAR,
            "Shorter is better here, but the range includes no change at all, so the data "
            "cannot tell whether the change helped, made no difference or made things worse.",
            id="inconclusive: the interval crosses zero",
        ),
        pytest.param(
            (-5.2, -8.1, -2.4, False, "per 1,000 bills", "1,000 bills"),
            "Most likely about 5.2 fewer per 1,000 bills, and very probably between 2.4 and 8.1.",
            Verdict.BETTER,
            "Fewer is better here, so the change helped.",
            id="a rate: fewer per 1,000",
        ),
        pytest.param(
            (0.0004, -1.1, 1.2, True, "per FTE-week", "caseworker-week"),
            "Most likely close to no change, but it could be anywhere from 1.1 fewer to 1.2 more "
            "per FTE-week.",
            Verdict.UNCLEAR,
            "More is better here, but the range includes no change at all, so the data "
            "cannot tell whether the change helped, made no difference or made things worse.",
            id="inconclusive around zero, higher is better",
        ),
        pytest.param(
            (-35.42, -48.21, -22.66, False, "s", "call"),
            "Most likely about 35 seconds shorter per call, and very probably between 23 and 48.",
            Verdict.BETTER,
            "Shorter is better here, so the change helped.",
            id="seconds per call",
        ),
        pytest.param(
            (-1.9, -2.6, -1.2, False, "l per round", "collection round"),
            "Most likely about 1.9 litres lower per round, and very probably between 1.2 and 2.6.",
            Verdict.BETTER,
            "Lower is better here, so the change helped.",
            id="a unit that says what it is per",
        ),
    ],
)
def test_the_change_in_words(arguments, sentence, verdict, explanation):
    effect, low, high, higher_is_better, unit, per = arguments
    result = describe_change(
        effect, low, high, higher_is_better=higher_is_better, unit=unit, per=per
    )
    assert result.sentence == sentence
    assert result.verdict is verdict
    assert result.explanation == f"{explanation} {CONFIDENCE}"
    assert result.text == f"{sentence} {explanation} {CONFIDENCE}"


def test_headlines_follow_the_verdict():
    helped = describe_change(-1, -2, -0.5, higher_is_better=False, unit="days", per="stay")
    unclear = describe_change(-1, -2, 0.5, higher_is_better=False, unit="days", per="stay")
    worse = describe_change(-1, -2, -0.5, higher_is_better=True, unit="days", per="stay")
    assert (helped.headline, unclear.headline, worse.headline) == (
        "The change helped",
        "The data cannot tell whether the change helped",
        "The change made things worse",
    )


def test_the_interval_may_come_in_either_order():
    forwards = describe_change(-2.3, -3.4, -1.2, higher_is_better=False, unit="min", per="case")
    backwards = describe_change(-2.3, -1.2, -3.4, higher_is_better=False, unit="min", per="case")
    assert forwards == backwards


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.012345, "0.0123"),
        (1.0, "1"),
        (2.345, "2.35"),
        (12.34, "12.3"),
        (-99.94, "99.9"),
        (123.4, "123"),
        (1_234_567.8, "1,234,568"),
    ],
)
def test_amounts_keep_about_three_significant_figures(value, text):
    assert format_amount(value) == text


@pytest.mark.parametrize(
    ("pence", "low", "high", "text"),
    [
        (
            12_345_600,
            8_000_000,
            16_700_000,
            "About £123,000 a year, somewhere between £80,000 and £167,000.",
        ),
        (
            -500_000,
            -900_000,
            -100_000,
            "A cost of about £5,000 a year, somewhere between £1,000 and £9,000.",
        ),
        (
            200_000,
            -100_000,
            500_000,
            "Most likely a saving of £2,000 a year, but anywhere from a cost of £1,000 to a "
            "saving of £5,000: it may save nothing.",
        ),
    ],
)
def test_savings_in_words(pence, low, high, text):
    assert describe_saving(pence, low, high) == text


@pytest.mark.parametrize(
    ("arguments", "reading"),
    [
        pytest.param(
            (-4.0, -6.0, -2.0, "min", "renewal"),
            "Most likely about 4 minutes shorter per renewal, and very probably between 2 and 6.",
            id="time, better when lower: the issue's example",
        ),
        pytest.param(
            (2.5, 1.2, 3.3, "%", None),
            "Most likely about 2.5 percentage points higher, and very probably between 1.2 and "
            "3.3.",
            id="percentage",
        ),
        pytest.param(
            (-5.0, -7.0, -3.0, "per 1,000 bills", None),
            "Most likely about 5 fewer per 1,000 bills, and very probably between 3 and 7.",
            id="rate",
        ),
        pytest.param(
            (3.0, 1.0, 5.0, "points", "survey"),
            "Most likely about 3 points higher per survey, and very probably between 1 and 5.",
            id="another unit",
        ),
        pytest.param(
            (-1.0, -3.0, 1.0, "min", "case"),
            "Most likely about 1 minute shorter per case, but it could be anywhere from 3 "
            "minutes shorter to 1 minute longer.",
            id="unclear: the interval crosses zero",
        ),
        pytest.param(
            (0.0001, 0.0, 1.0, "min", "case"),
            "Most likely close to no change, and very probably no more than 1 minute longer per "
            "case.",
            id="an estimate near zero, one side of it",
        ),
        pytest.param(
            (-120.0, -2_400.0, 2_100.0, "s", "claim"),
            # Known to the nearest hundred at best: the estimate is written to that too.
            "Most likely about 100 seconds shorter per claim, but it could be anywhere from "
            "2,400 seconds shorter to 2,100 seconds longer.",
            id="a wide interval",
        ),
        pytest.param(
            (-4.04, -4.041, -4.039, "days", "stay"),
            "Most likely about 4.04 days shorter per stay, and very probably between 4.039 and "
            "4.041.",
            id="a narrow interval keeps the digits that tell its ends apart",
        ),
        pytest.param(
            (3.0, None, None, "min", "case"),
            "Most likely about 3 minutes longer per case: there is no range to say how sure "
            "that is.",
            id="no interval",
        ),
    ],
)
def test_the_one_line_reading(arguments, reading):
    effect, low, high, unit, per = arguments
    assert plain_reading(effect, low, high, unit=unit, per=per) == reading


def test_a_narrower_interval_is_only_probable():
    reading = plain_reading(-4.0, -6.0, -2.0, unit="min", per="case", level=0.9)
    assert reading.endswith("and probably between 2 and 6.")


def test_the_register_and_the_staff_pages_share_one_reading():
    result = describe_change(-4.0, -6.0, -2.0, higher_is_better=False, unit="min", per="case")
    assert result.sentence == plain_reading(-4.0, -6.0, -2.0, unit="min", per="case")
