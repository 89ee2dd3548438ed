"""The public register as open data: one list of fields for the CSV, the JSON and their docs.

The field list below is the contract: the CSV's columns and the JSON's keys are exactly these
names in this order, and the "About the data" page prints each one's description. Money is in
whole pounds (the intervals are far wider than a penny); an empty cell (CSV) or null (JSON)
means "not shown", as for a suppressed estimate.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gains.services.public.register import MIN_UNITS, PublicGain
from gains.spreadsheet_safety import write_safe_csv

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # integer, number, text, date, date-time, boolean
    description: str
    value: Callable[[PublicGain, str], Any]


def _pounds(pence: int | None) -> int | None:
    return None if pence is None else round(pence / 100)


def _saving(attribute: str) -> Callable[[PublicGain, str], Any]:
    def value(entry: PublicGain, _url: str) -> int | None:
        if entry.saving is None:
            return None
        if attribute == "mid":
            return _pounds(entry.saving.annual_saving_pence)
        return _pounds(getattr(entry, attribute))

    return value


def _estimate(name: str) -> Callable[[PublicGain, str], Any]:
    return lambda entry, _url: None if entry.suppressed else getattr(entry, name)


FIELDS: tuple[Field, ...] = (
    Field(
        "id", "integer", "The improvement's number in Gains; stable.", lambda e, u: e.improvement_id
    ),
    Field("url", "text", "The improvement's page on the public register.", lambda e, u: u),
    Field("title", "text", "What the change was, in a few words.", lambda e, u: e.title),
    Field(
        "summary",
        "text",
        "The department's plain-English summary for the public.",
        lambda e, u: e.summary,
    ),
    Field(
        "department", "text", "The department that made the change.", lambda e, u: e.department_name
    ),
    Field(
        "department_code", "text", "The department's short code.", lambda e, u: e.department_code
    ),
    Field(
        "pillar",
        "text",
        "The HM Treasury Public Value Framework pillar it serves.",
        lambda e, u: e.pillar.label,
    ),
    Field(
        "kind",
        "text",
        "Marginal gain, or innovation at no extra cost (implementation cost £0).",
        lambda e, u: e.kind.label,
    ),
    Field("design", "text", "How it was tested (the study design).", lambda e, u: e.design.label),
    Field(
        "method", "text", "The statistical method behind the estimate.", lambda e, u: e.method_name
    ),
    Field("metric", "text", "What was measured.", lambda e, u: e.metric_name),
    Field("metric_unit", "text", "The unit of the metric.", lambda e, u: e.metric_unit),
    Field(
        "better_when",
        "text",
        "'higher' or 'lower': which way the metric moves when things improve.",
        lambda e, u: e.direction.value,
    ),
    Field(
        "unit_of_observation",
        "text",
        "What one measurement is about (a case, a call, 1,000 bills).",
        lambda e, u: e.unit_of_observation,
    ),
    Field("go_live_on", "date", "When the change went live.", lambda e, u: e.go_live_on),
    Field("ended_on", "date", "When the change ended, if it has.", lambda e, u: e.ended_on),
    Field("approved_on", "date", "When a manager approved the result.", lambda e, u: e.approved_on),
    Field("published_at", "date-time", "When it was published (UTC).", lambda e, u: e.published_at),
    Field(
        "n_before",
        "integer",
        "Measurements before the change (time series: weekly points).",
        lambda e, u: e.n_before,
    ),
    Field(
        "n_after",
        "integer",
        "Measurements after the change (time series: weekly points).",
        lambda e, u: e.n_after,
    ),
    Field(
        "suppressed",
        "boolean",
        f"True when a group had fewer than {MIN_UNITS} measurements: the estimate and saving "
        "are then left empty.",
        lambda e, u: e.suppressed,
    ),
    Field(
        "effect",
        "number",
        "The most likely change in the metric (after minus before, or its equivalent for "
        "the design), in the metric's unit.",
        _estimate("effect"),
    ),
    Field(
        "effect_low",
        "number",
        "Lower end of the effect's confidence interval.",
        _estimate("effect_ci_low"),
    ),
    Field(
        "effect_high",
        "number",
        "Upper end of the effect's confidence interval.",
        _estimate("effect_ci_high"),
    ),
    Field(
        "confidence_level",
        "number",
        "The confidence level of the intervals (0.95 = 95%).",
        lambda e, u: e.level,
    ),
    Field("p_value", "number", "The p-value of the effect (two-sided).", _estimate("p_value")),
    Field(
        "result_in_words",
        "text",
        "The effect and its interval in plain English.",
        lambda e, u: e.result.text if e.result else None,
    ),
    Field(
        "annual_saving_gbp",
        "integer",
        "The validated annual saving in whole pounds (negative: a cost), as approved.",
        _saving("mid"),
    ),
    Field(
        "annual_saving_low_gbp",
        "integer",
        "Lower end of the saving's interval (£).",
        _saving("saving_low_pence"),
    ),
    Field(
        "annual_saving_high_gbp",
        "integer",
        "Upper end of the saving's interval (£).",
        _saving("saving_high_pence"),
    ),
    Field(
        "npv",
        "integer",
        "Net present value over the expected life (£, whole pounds), as approved: the annual "
        "saving kept for the expected life, fading each year by its persistence, reduced for "
        "optimism bias and discounted at the Green Book rate, less the one-off cost raised for "
        "optimism bias. Empty where the saving is not shown or the approval predates it.",
        lambda e, u: None if e.saving is None else _pounds(e.npv_pence),
    ),
    Field(
        "cashable",
        "boolean",
        "True when the saving releases money; false when it releases time or capacity.",
        lambda e, u: e.cashable,
    ),
    Field(
        "implementation_cost_gbp",
        "integer",
        "The one-off cost of making the change (£).",
        lambda e, u: _pounds(e.implementation_cost_pence),
    ),
    Field(
        "evidence_level",
        "integer",
        "How far the design rules out other explanations, from 2 (before and after, no "
        "comparison group) to 5 (a randomised trial), on the Maryland Scientific Methods "
        "Scale.",
        lambda e, u: e.evidence_level,
    ),
    Field(
        "evidence_level_label",
        "text",
        "The evidence level in plain English.",
        lambda e, u: e.evidence_label,
    ),
)


def record(entry: PublicGain, url: str) -> dict[str, Any]:
    """One register entry as an ordered dict of the documented fields (Python values)."""
    return {field.name: field.value(entry, url) for field in FIELDS}


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def to_csv(entries: Iterable[PublicGain], url_for_entry: Callable[[int], str]) -> str:
    """Header first, one row per improvement; text cells formula-safe, numbers left alone.

    No title or filter lines above the header (unlike the dashboards' exports in
    gains/exports.py): open data must be readable by any CSV reader, which takes row 1 as
    the field names."""
    out = io.StringIO()
    rows = [[field.name for field in FIELDS]]
    for entry in entries:
        values = record(entry, url_for_entry(entry.improvement_id))
        rows.append([_text(value) for value in values.values()])
    write_safe_csv(out, rows)
    return out.getvalue()


def to_json(
    entries: Iterable[PublicGain],
    url_for_entry: Callable[[int], str],
    *,
    as_of: datetime,
    documentation_url: str,
) -> str:
    items = []
    for entry in entries:
        values = record(entry, url_for_entry(entry.improvement_id))
        items.append(
            {
                key: _text(value) if isinstance(value, date) else value
                for key, value in values.items()
            }
        )
    document = {
        "format_version": FORMAT_VERSION,
        "as_of": as_of.isoformat(timespec="seconds"),
        "documentation": documentation_url,
        "fields": [{"name": f.name, "type": f.kind, "description": f.description} for f in FIELDS],
        "improvements": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1)
