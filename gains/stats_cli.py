"""``gains stats``: the statistics engine on a CSV file, without a database, server or secret.

Registered by the Flask CLI as the ``stats`` group. The statistics modules are imported inside
each command so that ``gains --help`` does not pay for loading statsmodels.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import click

from gains.bounds import (
    ANNUAL_SAVING_GBP,
    DISCOUNT_RATE,
    EXPECTED_LIFE_YEARS,
    IMPLEMENTATION_COST_GBP,
    MINUS,
    OPTIMISM_BIAS_BENEFITS,
    OPTIMISM_BIAS_COSTS,
    PERSISTENCE,
    PLANNED_SAMPLE_SIZE,
)
from gains.commands import within

EXIT_BAD_INPUT = 2
KEY_WIDTH = 30  # readable output: the longest key name plus a margin


class BadInputError(click.ClickException):
    """A bad CSV or bad numbers: one message on stderr, exit status 2, no traceback."""

    exit_code = EXIT_BAD_INPUT


def by_option(command):
    """``--by COLUMN``: one result per group of rows sharing the column's value."""
    return click.option(
        "--by",
        metavar="COLUMN",
        help="Estimate each group of rows sharing COLUMN's value: one JSON object per line "
        'with "by" (the value, as text), or "by" and "error" for a group that cannot be.',
    )(command)


def tau2_method_option(command):
    """``--method dl|pm``: how τ² is estimated (`gains.stats.pooling.METHODS`)."""
    return click.option(
        "--method",
        type=click.Choice(["dl", "pm"]),
        default="dl",
        show_default=True,
        help="DerSimonian-Laird or Paule-Mandel between-improvement variance.",
    )(command)


@click.group("stats")
def stats_group() -> None:
    """Estimates, pooling, power and XmR charts from CSV files."""


@stats_group.command("estimate")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--design",
    type=click.Choice(["auto", "welch", "paired", "did", "its"]),
    default="auto",
    show_default=True,
    help="auto picks the richest design the data support.",
)
@click.option(
    "--direction",
    type=click.Choice(["higher", "lower"]),
    default="higher",
    show_default=True,
    help="Which direction of the metric is better.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="1 - confidence level.",
)
@click.option(
    "--cov",
    type=click.Choice(["HC3", "HC1", "nonrobust", "cluster", "reml", "newey"]),
    default=None,
    help="Covariance of the design analysed. Difference-in-differences on rows: HC3 "
    "(default), HC1, nonrobust or cluster (CR2 by unit); repeated units are analysed by "
    "unit with CR2 whatever this says. Time series: reml (default; AR(1) errors by REML, "
    "Satterthwaite df) or newey (Newey-West as Stata's newey). Ignored by the other designs.",
)
@click.option(
    "--seasonal",
    is_flag=True,
    help="Time series: add one sin/cos pair of period 52 weeks (needs 52 weeks before go-live).",
)
@by_option
@click.option(
    "--randomised",
    is_flag=True,
    help="Declare that units were assigned to treatment or control at random (evidence level 5).",
)
@click.option(
    "--planned-sample-size",
    type=int,
    callback=within(PLANNED_SAMPLE_SIZE),
    help="The plan's size per phase and group: where the always-valid interval (cs_low, "
    "cs_high) is tightest. Without it, 100.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def estimate_command(
    csv_file: Path,
    design: str,
    direction: str,
    alpha: float,
    cov: str | None,
    seasonal: bool,
    by: str | None,
    randomised: bool,
    planned_sample_size: int | None,
    as_json: bool,
) -> None:
    """Estimate an improvement from FILE.csv (columns phase, value; optional unit, group, date)."""
    from gains.stats.design import estimate_improvement

    frame = _read_csv(csv_file, required=("phase", "value"), by=by)

    def estimate(frame) -> dict[str, Any]:
        _refuse_outside_bounds(frame)
        compute = partial(
            estimate_improvement,
            alpha=alpha,
            cov=cov,
            seasonal=seasonal,
            randomised=randomised,
            planned_sample_size=planned_sample_size,
        )
        result = _run(lambda: compute(frame, design, direction))
        return result.to_dict()

    _emit_each(frame, by, estimate, as_json)


@stats_group.command("pool")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@tau2_method_option
@click.option(
    "--ci-method",
    type=click.Choice(["knha", "adhoc", "z"]),
    default="knha",
    show_default=True,
    help="Hartung-Knapp-Sidik-Jonkman CI (t, k - 1 df), its max(1, q) variant, or normal.",
)
@by_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def pool_command(
    csv_file: Path, method: str, ci_method: str, by: str | None, as_json: bool
) -> None:
    """Random-effects pooling of FILE.csv (columns label, effect, variance; at least 3 rows)."""
    from gains.stats.pooling import pool_random_effects

    frame = _read_csv(csv_file, required=("label", "effect", "variance"), by=by)

    def pool(frame) -> dict[str, Any]:
        effects = _numeric_column(frame, "effect")
        variances = _numeric_column(frame, "variance")
        compute = partial(pool_random_effects, method=method, ci_method=ci_method)
        return asdict(_run(lambda: compute(effects, variances)))

    _emit_each(frame, by, pool, as_json)


@stats_group.command("shrink")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@tau2_method_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def shrink_command(csv_file: Path, method: str, as_json: bool) -> None:
    """Each row's effect shrunk toward the pooled effect: the random-effects BLUPs of
    FILE.csv (columns yi, vi > 0; optional label, else the row number; at least 1 row)."""
    from gains.stats.shrinkage import shrink

    frame = _read_csv(csv_file, required=("yi", "vi"), text=("label",))
    effects = _numeric_column(frame, "yi")
    variances = _numeric_column(frame, "vi")
    if (variances <= 0).any():
        row = int((variances <= 0).argmax()) + 1
        raise BadInputError(f"column 'vi' (a variance) is not positive in data row {row}")
    found = _run(lambda: shrink(effects, variances, method=method))
    rows = [
        {"label": label, "yi": yi, "vi": vi, "shrunk": shrunk, "shrunk_se": se}
        for label, yi, vi, shrunk, se in zip(
            _labels(frame), effects, variances, found.shrunk, found.shrunk_se, strict=True
        )
    ]
    output = {
        key: getattr(found, key) for key in ("method", "k", "pooled_mean", "pooled_mean_se", "tau2")
    }
    _emit(output | {"rows": rows}, as_json)


def _labels(frame) -> list[str]:
    """The ``label`` column as written, or the data row's number (as text) where it is blank
    or absent."""
    from gains.bounds import text_problem

    numbers = [str(row) for row in range(1, len(frame) + 1)]
    if "label" not in frame.columns:
        return numbers
    written = frame["label"].fillna("").str.strip()
    for number, text in zip(numbers, written, strict=True):
        problem = text_problem(text, "the label")
        if problem:
            raise BadInputError(f"data row {number}: {problem}")
    return [text or number for text, number in zip(written, numbers, strict=True)]


@stats_group.command("power")
@click.option("--effect-size", type=float, help="Standardised effect (Cohen's d).")
@click.option("--n-per-group", type=float, help="Observations per group.")
@click.option("--power", "target_power", type=float, help="Probability of detecting the effect.")
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def power_command(
    effect_size: float | None,
    n_per_group: float | None,
    target_power: float | None,
    alpha: float,
    as_json: bool,
) -> None:
    """Give two of --effect-size, --n-per-group and --power; the third is solved for."""
    from gains.stats.power import solve_power

    result = _run(lambda: solve_power(effect_size, n_per_group, target_power, alpha))
    _emit(asdict(result), as_json)


@stats_group.command("spc")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-screen", is_flag=True, help="Keep large moving ranges in the limits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def spc_command(csv_file: Path, no_screen: bool, as_json: bool) -> None:
    """XmR chart of FILE.csv (column value; optional date to order by, phase for the baseline).

    Signal indices are 0-based data rows of the file.
    """
    from gains.stats.spc import xmr_chart

    frame = _read_csv(csv_file, required=("value",))
    values = _numeric_column(frame, "value")
    _refuse_outside_bounds(frame)
    order = _time_order(frame)
    baseline = _baseline_mask(frame)
    chart = _run(lambda: xmr_chart(values[order], baseline[order], screen=not no_screen))
    output = asdict(chart)
    output["signals"] = [
        {"index": int(order[signal.index]), "rule": signal.rule} for signal in chart.signals
    ]
    _emit(output, as_json)


class Pounds(click.ParamType):
    """A sum of money in pounds to the penny ("1250.50"), read as a Decimal, never a float."""

    name = "pounds"

    def convert(self, value, parameter, context):
        if isinstance(value, Decimal):
            return value
        try:
            amount = Decimal(str(value).strip().replace(",", "").removeprefix("£"))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            self.fail(f"{value!r} is not an amount in pounds, like 1250.50", parameter, context)
        if amount.as_tuple().exponent < -2:
            self.fail(f"{value!r} has more decimal places than pence", parameter, context)
        return amount


def bounded_option(flag: str, bound, help: str, **settings):
    """An option checked by `bound` of `gains.bounds`; required unless given a default. The
    bounds show shares as percentages, as the forms take them; here they are typed as
    fractions, so the refusal says so."""
    if "default" in settings:
        settings["show_default"] = True
    else:
        settings["required"] = True
    check = within(bound)

    def check_fraction(context, parameter, value):
        try:
            return check(context, parameter, value)
        except click.BadParameter as error:
            message = f"{error.message}, typed as a fraction (0.8 for 80 %)"
            raise click.BadParameter(message) from None

    callback = check_fraction if bound.percent else check
    return click.option(flag, callback=callback, help=help, **settings)


@stats_group.command("appraise")
@bounded_option("--annual-saving", ANNUAL_SAVING_GBP, "Annual saving in year 1, £.", type=Pounds())
@bounded_option("--cost", IMPLEMENTATION_COST_GBP, "One-off cost at go-live, £.", type=Pounds())
@bounded_option("--years", EXPECTED_LIFE_YEARS, "Expected life in whole years.", type=int)
@bounded_option(
    "--persistence",
    PERSISTENCE,
    "Share of the saving that survives each further year, as a fraction.",
    default=1.0,
)
@bounded_option(
    "--discount",
    DISCOUNT_RATE,
    "Yearly discount rate (Green Book: 0.035; 0.015 for health outcomes).",
    default=0.035,
)
@bounded_option(
    "--optimism-bias-benefits",
    OPTIMISM_BIAS_BENEFITS,
    "Share taken off every year's benefit, as a fraction.",
    default=0.0,
)
@bounded_option(
    "--optimism-bias-costs",
    OPTIMISM_BIAS_COSTS,
    "Share added to the cost, as a fraction.",
    default=0.0,
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def appraise_command(
    annual_saving: Decimal,
    cost: Decimal,
    years: int,
    persistence: float,
    discount: float,
    optimism_bias_benefits: float,
    optimism_bias_costs: float,
    as_json: bool,
) -> None:
    """Green Book appraisal: present values, NPV, benefit-cost ratio and payback month.

    Pounds are shown to the penny; bcr is null at zero cost, payback_month null if the
    undiscounted benefits never cover the cost within the life.
    """
    from gains.stats.appraisal import appraise

    result = appraise(
        int(annual_saving * 100),  # exact: at most two decimal places
        int(cost * 100),
        years,
        persistence=persistence,
        discount_rate=discount,
        optimism_bias_benefits=optimism_bias_benefits,
        optimism_bias_costs=optimism_bias_costs,
    )

    def shown(pence: int) -> float | str:
        return pence / 100 if as_json else _pounds(pence)

    output = {
        "pv_benefits": shown(result.pv_benefits_pence),
        "pv_costs": shown(result.pv_costs_pence),
        "npv": shown(result.npv_pence),
        "bcr": result.bcr,
        "payback_month": result.payback_month,
        "annual_saving": shown(result.annual_saving_pence),
        "cost": shown(result.cost_pence),
        "years": result.years,
        "persistence": result.persistence,
        "discount_rate": result.discount_rate,
        "optimism_bias_benefits": result.optimism_bias_benefits,
        "optimism_bias_costs": result.optimism_bias_costs,
    }
    _emit(output, as_json)


def _pounds(pence: int) -> str:
    """-123456 as "−£1,234.56" (a minus sign, as GOV.UK shows it) for the readable output."""
    return f"{MINUS if pence < 0 else ''}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def _read_csv(
    path: Path, required: tuple[str, ...], by: str | None = None, text: tuple[str, ...] = ()
):
    """The CSV with lower-cased column names; ``by``'s column and the ``text`` columns are
    read as text, so their values come back as written (``007`` stays ``007``)."""
    import pandas as pd

    as_text_names = {_column_name(name) for name in (*text, *([by] if by else []))}
    try:
        header = pd.read_csv(path, skipinitialspace=True, nrows=0).columns if as_text_names else []
        as_text = {column: str for column in header if _column_name(column) in as_text_names}
        frame = pd.read_csv(path, skipinitialspace=True, dtype=as_text or None)
        # The headings as written: pandas renames a repeated one ("value.1").
        headings = pd.read_csv(path, header=None, nrows=1, dtype=str, skipinitialspace=True)
    except FileNotFoundError:
        raise BadInputError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # pandas parser errors included
        raise BadInputError(f"{path} is not a readable CSV file ({_csv_problem(error)})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas reads the first column as an index when the first data row has more fields
        # than the header, shifting every column by one.
        raise BadInputError(
            f"{path}: the first data row has more fields than the header's "
            f"{len(frame.columns)}: remove the extra field or give it a heading"
        )
    names = [
        _column_name(column if pd.isna(heading) else heading)  # blank: "Unnamed: 2"
        for heading, column in zip(headings.iloc[0], frame.columns, strict=True)
    ]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadInputError(f"{path} names the column(s) {', '.join(repeated)} more than once")
    frame.columns = names
    if by is not None and _column_name(by) not in frame.columns:
        raise BadInputError(f"{path} lacks the column {by!r} named by --by")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise BadInputError(f"{path} lacks the column(s) {', '.join(missing)}")
    if frame.empty:
        raise BadInputError(f"{path} has no data rows")
    return frame


def _column_name(column) -> str:
    return str(column).strip().lower()


def _emit_each(frame, by: str | None, compute, as_json: bool) -> None:
    """``compute(frame)`` on the whole file, or with ``by`` on each group of rows sharing the
    column's value, in order of first appearance. A group that fails (a `BadInputError`)
    gets its message as "error" and the others go on; rows with no value in the column are
    such a group (they belong to none), shown as "". Row numbers in a group's messages count
    that group's rows."""
    if by is None:
        _emit(compute(frame), as_json)
        return
    column = frame[_column_name(by)].str.strip().fillna("")
    failed = 0
    for value, rows in frame.groupby(column, sort=False):
        try:
            if value == "":
                rows_text = "1 row has" if len(rows) == 1 else f"{len(rows)} rows have"
                raise BadInputError(f"{rows_text} no value in column {by!r}")
            output = {"by": value} | compute(rows.reset_index(drop=True))
        except BadInputError as error:
            failed += 1
            output = {"by": value, "error": error.message}
        _emit(output, as_json)
        if not as_json:
            click.echo()
    if failed:
        click.echo(f"{failed} of {column.nunique()} groups could not be computed", err=True)


def _csv_problem(error: Exception) -> str:
    """pandas' tokenizer message in plain words, with the line (the header is line 1)."""
    import re

    text = str(error).strip()
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, seen = fields.groups()
        return f"line {line} has {seen} fields but the header has {expected}"
    return text


def _numeric_column(frame, column: str):
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = [i for i, value in enumerate(values) if not math.isfinite(value)]
    if bad:
        raise BadInputError(f"column {column!r} is not a number in data row {bad[0] + 1}")
    return values


def _refuse_outside_bounds(frame) -> None:
    """Values and dates outside the bounds every other path refuses (`gains.bounds`), so the
    engine never sees what the app would not store. Unreadable ones are left to the engine's
    own messages."""
    import numpy as np
    import pandas as pd

    from gains.bounds import DATE, MEASUREMENT_VALUE
    from gains.stats.frames import read_dates

    values = pd.to_numeric(frame["value"], errors="coerce")
    outside = values.notna() & ~values.between(MEASUREMENT_VALUE.low, MEASUREMENT_VALUE.high)
    if outside.any():
        row = int(np.flatnonzero(outside)[0]) + 1
        raise BadInputError(f"data row {row}: {MEASUREMENT_VALUE.message}")
    if "date" in frame.columns:
        dates = read_dates(frame["date"])
        outside = dates.notna() & ~dates.between(pd.Timestamp(DATE.low), pd.Timestamp(DATE.high))
        if outside.any():
            row = int(np.flatnonzero(outside)[0]) + 1
            raise BadInputError(f"data row {row}: {DATE.message}")


def _time_order(frame):
    import numpy as np

    from gains.stats.frames import read_dates

    if "date" not in frame.columns:
        return np.arange(len(frame))
    dates = read_dates(frame["date"])
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna())[0]) + 1
        raise BadInputError(f"unreadable date in data row {row} (use YYYY-MM-DD)")
    return np.argsort(dates.to_numpy(), kind="stable")


def _baseline_mask(frame):
    import numpy as np

    if "phase" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    phases = frame["phase"].astype(str).str.strip().str.lower()
    if not phases.isin(["before", "after"]).all():
        raise BadInputError("column 'phase' must be before or after")
    return (phases == "before").to_numpy()


def _run(compute):
    """Run a computation, turning the engine's input errors into one clean message."""
    from gains.stats.assemble import StatsInputError

    try:
        return compute()
    except StatsInputError as error:
        raise BadInputError(f"{error}") from None


def _emit(data: dict[str, Any], as_json: bool) -> None:
    from gains.stats.results import json_safe

    safe = json_safe(data)
    if as_json:
        click.echo(json.dumps(safe, allow_nan=False))
        return
    for key, value in safe.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            click.echo(f"{key:<{KEY_WIDTH}} {len(value)}")
            for item in value:
                click.echo(f"{'':<{KEY_WIDTH}}   {_readable(item)}")
        else:
            click.echo(f"{key:<{KEY_WIDTH}} {_readable(value)}")


def _readable(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict) and set(value) == {"code", "message"}:
        return f"{value['code']}: {value['message']}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_readable(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_readable(item) for item in value) or "-"
    return str(value)
