"""The "What does this mean?" explanations, pinned word for word where a figure changes them."""

import numpy as np
import pytest

from gains.services.estimates import plain_english
from gains.services.estimates.plain_english import (
    explain_evidence_level,
    explain_hedges_g,
    explain_interval,
    explain_p_value,
    explain_pooling,
    explain_power,
    explain_xmr,
    interval_meaning,
)
from gains.services.estimates.plain_english.explanations import XMR_RULES
from gains.stats import spc
from gains.stats.evidence import LEVELS


@pytest.mark.parametrize(
    ("p_value", "reading"),
    [
        pytest.param(
            0.0004,
            "Here it is below 0.05: a difference this large would rarely appear by chance alone.",
            id="small",
        ),
        pytest.param(
            0.31,
            "Here it is 0.05 or more: a difference this large could well appear by chance "
            "alone, so the data cannot rule out that the change made no difference. That is "
            "not proof that it made none.",
            id="large",
        ),
        pytest.param(
            None, "This method gives no p-value: read the range instead.", id="no p-value"
        ),
    ],
)
def test_the_p_value_says_what_this_one_means(p_value, reading):
    explanation = explain_p_value(p_value)
    assert explanation.summary == "What does the p-value mean?"
    assert explanation.paragraphs[0].startswith("The p-value is how often a difference")
    assert explanation.paragraphs[-1] == reading


def test_the_interval_uses_the_public_pages_sentence():
    assert interval_meaning(0.95) == (
        "The range is a 95% confidence interval: worked out this way, it contains the true "
        "change 95 times out of 100."
    )
    explanation = explain_interval(0.9)
    assert explanation.summary == "What does the 90% interval mean?"
    assert interval_meaning(0.9) in explanation.paragraphs[0]
    assert "includes no change at all" in explanation.paragraphs[1]


@pytest.mark.parametrize(
    ("g", "effect", "higher_is_better", "direction", "last"),
    [
        pytest.param(
            0.8,
            -2.3,
            False,
            "Here lower is better, so the two have opposite signs: a fall in the measurements "
            "is a positive g.",
            "That is why g is positive here while the effect is negative.",
            id="lower is better and it helped: opposite signs",
        ),
        pytest.param(
            -0.4,
            1.1,
            False,
            "Here lower is better, so the two have opposite signs: a fall in the measurements "
            "is a positive g.",
            "That is why g is negative here while the effect is positive.",
            id="lower is better and it made things worse",
        ),
        pytest.param(
            0.5,
            4.6,
            True,
            "Here higher is better, so the two have the same sign.",
            None,
            id="higher is better: the same sign",
        ),
        pytest.param(
            None,
            4.6,
            True,
            "Here higher is better, so the two have the same sign.",
            "This method gives no g, so this improvement is not pooled.",
            id="no g",
        ),
    ],
)
def test_hedges_g_explains_its_sign(g, effect, higher_is_better, direction, last):
    paragraphs = explain_hedges_g(g, effect, higher_is_better=higher_is_better).paragraphs
    assert paragraphs[1].endswith(direction)
    assert paragraphs[1].startswith("Gains gives g the sign of the result: positive means")
    assert (paragraphs[2] if len(paragraphs) > 2 else None) == last


def test_every_xmr_rule_the_chart_flags_has_words():
    # Mean 0 and limits ±1: the first point is outside, every point is above the mean (a
    # shift), the last seven rise (a trend) and the 0.8s are beyond two sigma.
    values = np.array([3.0, 0.8, 0.8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    flagged = {signal.rule for signal in spc._signals(values, 0.0, 1.0)}
    assert flagged == set(XMR_RULES)
    assert XMR_RULES["shift"] == (
        "shift: 7 or more weeks in a row on the same side of the average before go-live"
    )


@pytest.mark.parametrize(
    ("before", "last"),
    [
        (0, None),
        (1, "Here 1 week before go-live is flagged: read the result with care."),
        (3, "Here 3 weeks before go-live are flagged: read the result with care."),
    ],
)
def test_special_causes_before_go_live_warn_that_the_comparison_may_be_unfair(before, last):
    explanation = explain_xmr(special_causes_before_go_live=before)
    assert "the before period was not stable" in explanation.paragraphs[1]
    assert "comparing before with after may be unfair" in explanation.paragraphs[1]
    assert explanation.bullets == tuple(XMR_RULES.values())
    assert (explanation.paragraphs[2] if len(explanation.paragraphs) > 2 else None) == last


def test_evidence_levels_list_one_to_five_and_name_this_one():
    explanation = explain_evidence_level(3)
    assert [bullet[:13] for bullet in explanation.bullets] == [
        f"Level {n} of 5:" for n in range(1, 6)
    ]
    assert explanation.bullets[0].endswith("(Gains never gives this)")
    assert min(LEVELS) == 2  # why level 1 is never given
    assert explanation.paragraphs[-1] == "This estimate is at level 3."
    assert explain_evidence_level().paragraphs[-1].startswith("Validated savings count")


def test_pooling_names_every_term_the_dashboard_shows():
    text = " ".join(explain_pooling().bullets)
    for term in ("τ²", "DerSimonian-Laird", "Paule-Mandel", "I²", "Q:", "prediction interval"):
        assert term in text


def test_power_says_how_often_a_real_effect_is_found():
    assert "is found 8 times in 10 (at 5% significance" in explain_power().paragraphs[0]
    assert "is found 9 times in 10" in explain_power(power=0.9).paragraphs[0]


def test_what_to_expect_says_when_too_few_places_make_it_wide():
    few = plain_english.expect_if_adopted("-40%", "70%", 3)
    assert few.startswith("What to expect if you adopt it: a result most likely between -40%")
    assert "With only 3 places" in few and "very wide" in few
    many = plain_english.expect_if_adopted("2%", "9%", 5)
    assert "With only" not in many
