"""The one place for the words around statistics: readings of an estimate (`readings`) and
the "What does this mean?" explanations (`explanations`). Staff pages and the public page
take their sentences from here, never from copies."""

from gains.services.estimates.plain_english.explanations import (
    Explanation,
    explain_adjusted_p,
    explain_data_version,
    explain_evidence_level,
    explain_hedges_g,
    explain_interval,
    explain_p_value,
    explain_pooling,
    explain_power,
    explain_xmr,
    g_sign_note,
    interval_meaning,
)
from gains.services.estimates.plain_english.readings import (
    VERDICT_WORDS,
    PlainResult,
    Verdict,
    describe_change,
    describe_saving,
    format_amount,
    format_pounds,
    plain_reading,
    run_chart_baseline_note,
    run_chart_reading,
    verdict_of,
)

__all__ = [
    "VERDICT_WORDS",
    "Explanation",
    "PlainResult",
    "Verdict",
    "describe_change",
    "describe_saving",
    "explain_adjusted_p",
    "explain_data_version",
    "explain_evidence_level",
    "explain_hedges_g",
    "explain_interval",
    "explain_p_value",
    "explain_pooling",
    "explain_power",
    "explain_xmr",
    "format_amount",
    "format_pounds",
    "g_sign_note",
    "interval_meaning",
    "plain_reading",
    "run_chart_baseline_note",
    "run_chart_reading",
    "verdict_of",
]
