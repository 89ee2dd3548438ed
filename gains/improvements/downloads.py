"""One improvement's files: its active measurements and its current estimate as CSV tables
(`gains.exports`), headed by column keys that stay put when the page's words change
(decision 0035). The estimate's figures are the page's own (`presenters.estimate_view`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gains.exports import CSV_CHUNK_ROWS, Column, Table, pounds, yes_no
from gains.extensions import db
from gains.improvements.presenters import EstimateView
from gains.models import Cycle, Improvement, Measurement, UploadBatch
from gains.models.base import utcnow
from gains.services.estimates.cycles import adopted_cycle, stored_cycle_estimate
from gains.services.estimates.plain_english import verdict_of
from gains.services.measurements.active import active_measurements

MEASUREMENT_COLUMNS = (
    Column("Measurement", "number", key="measurement_id"),
    Column("Batch", "number", key="batch_id"),
    Column("Phase", key="phase"),
    Column("Group", key="group"),
    Column("Unit", key="unit"),
    Column("Date", key="date"),
    Column("Value", "number", key="value"),
    # Last, so the columns before keep their places (issue 22): the PDSA cycle the row's batch
    # was recorded in, empty outside cycles.
    Column("Cycle", "number", key="cycle"),
)

ESTIMATE_COLUMNS = (
    Column("Improvement", "number", key="improvement_id"),
    Column("Data version", "number", key="data_version"),
    Column("Method", key="method"),
    Column("Metric unit", key="metric_unit"),
    Column("Effect (after minus before)", "number", key="effect"),
    Column("Interval low", "number", key="ci_low"),
    Column("Interval high", "number", key="ci_high"),
    Column("Confidence level", "number", key="level"),
    Column("Standard error", "number", key="se"),
    Column("p-value", "number", key="p_value"),
    Column("Measurements before", "number", key="n_before"),
    Column("Measurements after", "number", key="n_after"),
    Column("Control measurements before", "number", key="n_control_before"),
    Column("Control measurements after", "number", key="n_control_after"),
    Column("Gain (the better way)", "number", key="gain"),
    Column("Gain interval low", "number", key="gain_ci_low"),
    Column("Gain interval high", "number", key="gain_ci_high"),
    Column("Verdict", key="verdict"),
    Column("Hedges' g", "number", key="hedges_g"),
    Column("Annual saving", "gbp", key="annual_saving"),
    Column("Annual saving interval low", "gbp", key="annual_saving_ci_low"),
    Column("Annual saving interval high", "gbp", key="annual_saving_ci_high"),
    Column("Saving interval includes input ranges", key="saving_includes_input_ranges"),
    Column("Evidence level", "number", key="evidence_level"),
    Column("Why there is no estimate", key="no_estimate_reason"),
)


# A cycle's figures in the estimate file's own columns (the same words and keys).
CYCLE_ESTIMATE_KEYS = (
    "data_version",
    "effect",
    "ci_low",
    "ci_high",
    "n_before",
    "n_after",
    "no_estimate_reason",
)
CYCLE_COLUMNS = (
    Column("Cycle", "number", key="cycle"),
    Column("What we tried", key="plan"),
    Column("What we predicted", key="prediction"),
    Column("Started", key="started_on"),
    Column("Ended", key="ended_on"),
    Column("What happened", key="notes"),
    Column("Act decision", key="act_decision"),
    Column("The adopted change", key="adopted"),
    *(column for column in ESTIMATE_COLUMNS if column.key in CYCLE_ESTIMATE_KEYS),
)


def measurements_table(improvement: Improvement) -> Table:
    """The improvement's active rows (not pending, not withdrawn) in the order recorded,
    read from the database a chunk at a time as the file is sent."""
    stmt = (
        active_measurements(
            Measurement.id,
            UploadBatch.id,
            Measurement.phase,
            Measurement.group,
            Measurement.unit_ref,
            Measurement.observed_on,
            Measurement.value,
            Cycle.number,
        )
        .outerjoin(Cycle, Cycle.id == UploadBatch.cycle_id)
        .where(Measurement.improvement_id == improvement.id)
        .order_by(Measurement.id)
        .execution_options(yield_per=CSV_CHUNK_ROWS)
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        for (
            measurement_id,
            batch_id,
            phase,
            group,
            unit,
            observed_on,
            value,
            cycle,
        ) in db.session.execute(stmt):
            yield (
                measurement_id,
                batch_id,
                phase.value,
                group.value,
                unit,
                observed_on.isoformat() if observed_on else None,
                value,
                cycle,
            )

    return Table(
        name="measurements",
        title=f"Measurements: {improvement.title}",
        columns=MEASUREMENT_COLUMNS,
        rows=rows(),
    )


def cycles_table(improvement: Improvement) -> Table:
    """The PDSA cycles, one row each, with each cycle's stored estimate as the page shows it
    (descriptive; the improvement's one estimate is `estimate_table`)."""
    adopted = adopted_cycle(improvement.cycles)
    rows = []
    for cycle in improvement.cycles:
        estimate = stored_cycle_estimate(improvement, cycle)
        document = estimate.document or {}
        row = {key: document.get(key) for key in ("effect", "ci_low", "ci_high", "n_before")}
        row |= {
            "cycle": cycle.number,
            "plan": cycle.plan,
            "prediction": cycle.prediction,
            "started_on": cycle.started_on.isoformat(),
            "ended_on": cycle.ended_on.isoformat() if cycle.ended_on else None,
            "notes": cycle.notes,
            "act_decision": cycle.act_decision,
            "adopted": cycle is adopted,
            "data_version": improvement.data_version,
            "n_after": document.get("n_after"),
            "no_estimate_reason": estimate.reason,
        }
        rows.append([_text(row.get(column.key)) for column in CYCLE_COLUMNS])
    return Table(
        name="cycles", title=f"PDSA cycles: {improvement.title}", columns=CYCLE_COLUMNS, rows=rows
    )


def estimate_table(improvement: Improvement, view: EstimateView) -> Table:
    """The current estimate in one row, or a row saying why there is none."""
    if view.estimate is None:
        row = {"improvement_id": improvement.id, "no_estimate_reason": view.reason}
        row["data_version"] = improvement.data_version
    else:
        r = view.result
        row = {key: r.get(key) for key in _FROM_RESULT}
        row |= {
            "improvement_id": improvement.id,
            "data_version": view.estimate.data_version,
            "metric_unit": improvement.metric_unit,
            "evidence_level": view.evidence_level,
        }
        if r.get("gain_ci_low") is not None and r.get("gain_ci_high") is not None:
            # The gain is signed the better way, so its interval's side is the verdict.
            row["verdict"] = verdict_of(r["gain_ci_low"], r["gain_ci_high"], higher_is_better=True)
        saving = view.saving
        if saving is not None:
            row |= {
                "annual_saving": pounds(saving.annual_saving_pence),
                "annual_saving_ci_low": pounds(saving.ci_low_pence),
                "annual_saving_ci_high": pounds(saving.ci_high_pence),
                "saving_includes_input_ranges": saving.includes_input_ranges,
            }
    return Table(
        name="estimate",
        title=f"Current estimate: {improvement.title}",
        columns=ESTIMATE_COLUMNS,
        rows=[[_text(row.get(column.key)) for column in ESTIMATE_COLUMNS]],
    )


_FROM_RESULT = (
    "method",
    "effect",
    "ci_low",
    "ci_high",
    "level",
    "se",
    "p_value",
    "n_before",
    "n_after",
    "n_control_before",
    "n_control_after",
    "gain",
    "gain_ci_low",
    "gain_ci_high",
    "hedges_g",
)


def _text(value: Any) -> Any:
    """Yes/no for a flag and an enum's value: what a spreadsheet reads."""
    if isinstance(value, bool):
        return yes_no(value)
    return getattr(value, "value", value)


def described(improvement: Improvement) -> list[tuple[str, str]]:
    """What a file of one improvement says above its table: which one, and when."""
    return [("Improvement", improvement.title), ("Produced", f"{utcnow():%d %B %Y %H:%M} UTC")]


def file_name(improvement: Improvement, table: Table) -> str:
    return f"gains-improvement-{improvement.id}-{table.name}-{utcnow():%Y%m%d}.csv"
