"""Recompute every estimate: Gains' aggregate path against two baselines, in the same run.

* **gains**: `services.recompute.recompute_all` (window + GROUP BY aggregates in the database,
  vectorised statistics, one bulk DELETE + INSERT), committed;
* **naive**: the per-improvement code path the app uses on every data change
  (`estimates.estimate_document`: the improvement's rows, a DataFrame, statsmodels/scipy),
  then the same rows written with the ORM;
* **strong**: one query for all rows, pandas ``groupby``, then per improvement scipy
  (``ttest_ind(equal_var=False)``, ``ttest_rel`` on unit means) or numpy OLS with HC3 for the
  DiD: only effect, CI and p, no warnings, effect sizes or writes (a lower bound on the work).

Covered by the aggregate path: Welch, paired by unit means, DiD (HC3, no repeated units) and
time series (AR(1) REML, all series fitted together from one grouped weekly query). The naive
path's time series are also timed apart ("time series one by one", what recompute-all did
before issue 19). The differences are the largest absolute differences between the sets of
effects, CI bounds and p-values, against the naive path.

`--m-growth` times the Gains path alone at N improvements and 0.1, 1 and 3 times M rows (0.1,
1 and 3 million at full size): recompute-all reads the per-cell summaries kept on write, so its
cost should follow the number of cells, not of rows.

`python -m bench.recompute [--quick] [--growth | --m-growth] [--only-gains] [--backends ...]`
"""

from __future__ import annotations

import math
import os
import statistics

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sqlalchemy import select

from bench.common import (
    Sizes,
    Stopwatch,
    backends_from,
    database_urls,
    emit,
    log,
    machine,
    make_app,
    parser,
    print_table,
    sizes_from,
)
from bench.generate import build_database

COMPARED = ("effect", "ci_low", "ci_high", "p_value")
TARGET_SECONDS = 2.0  # every estimate, time series included (issue 19; was 1 s without them)
TARGET_SPEEDUP = 20.0
TARGET_DIFF = 1e-9
M_GROWTH = (0.1, 1.0, 3.0)  # `--m-growth`: multiples of M at the same N


def measure(url: str, sizes: Sizes, rounds: int, only_gains: bool = False) -> dict:
    built = build_database(url, sizes, estimates="fast")
    log(f"{built.backend}: built {sizes.label()} in {sum(built.seconds.values()):.1f} s")
    log(f"{built.backend}: cell summaries for all improvements in {built.seconds['cells']:.2f} s")
    from gains.extensions import db
    from gains.models import Design, Estimate, Improvement
    from gains.services.estimates.documents import NoEstimate, estimate_document, estimate_row
    from gains.services.estimates.recompute import recompute_all

    app = make_app(url)
    with app.app_context():
        improvements = db.session.scalars(select(Improvement).order_by(Improvement.id)).all()
        series = [i for i in improvements if i.design is Design.TIME_SERIES]
        series_ids = [i.id for i in series]

        gains_runs, breakdowns = [], []
        for _ in range(rounds):
            with Stopwatch() as clock:
                recomputed = recompute_all(per_improvement=False)
                db.session.commit()
            gains_runs.append(clock.seconds)
            breakdowns.append(recomputed.seconds)
        gains_documents = recomputed.documents
        log(f"{built.backend}: gains path {statistics.median(gains_runs):.3f} s")
        if only_gains:
            return _gains_only(built, gains_runs, breakdowns)

        strong_runs = []
        for _ in range(rounds):
            db.session.expire_all()
            with Stopwatch() as clock:
                strong = strong_baseline(db)
            strong_runs.append(clock.seconds)
        log(f"{built.backend}: strong baseline {statistics.median(strong_runs):.3f} s")

        db.session.expire_all()
        with Stopwatch() as clock:
            naive = {}
            with Stopwatch() as series_clock:
                naive.update((i.id, estimate_document(i)) for i in series)
            naive.update((i.id, estimate_document(i)) for i in improvements if i.id not in naive)
            db.session.execute(Estimate.__table__.delete())
            db.session.add_all(
                Estimate(**estimate_row(i.id, i.data_version, naive[i.id]))
                for i in improvements
                if not isinstance(naive[i.id], NoEstimate)
            )
            db.session.flush()
        naive_seconds = clock.seconds
        series_seconds = series_clock.seconds
        db.session.rollback()
        log(f"{built.backend}: naive baseline {naive_seconds:.1f} s")

    compared = _differences(gains_documents, naive)
    strong_compared = _differences(strong, naive, only_numbers=True)
    gains_seconds = statistics.median(gains_runs)
    strong_seconds = statistics.median(strong_runs)
    breakdown = _breakdown(breakdowns)
    return {
        "backend": built.backend,
        "improvements": built.improvements,
        "measurements": built.measurements,
        "covered": compared["compared"],
        "seconds": gains_seconds,
        "seconds_breakdown": breakdown,
        "baseline_seconds": naive_seconds,
        "speedup": naive_seconds / gains_seconds,
        "strong_baseline_seconds": strong_seconds,
        "strong_speedup": strong_seconds / gains_seconds,
        "max_abs_diff": compared["max_abs_diff"],
        "documents_identical": compared["identical"],
        "strong_max_abs_diff": strong_compared["max_abs_diff"],
        "time_series": len(series_ids),
        "time_series_seconds": series_seconds,
        "time_series_estimates": sum(isinstance(naive[i], dict) for i in series_ids),
        "time_series_max_abs_diff": _differences(
            gains_documents, {i: naive[i] for i in series_ids}
        )["max_abs_diff"],
        "build_seconds": built.seconds,
    }


def _breakdown(breakdowns: list[dict]) -> dict:
    return {
        key: statistics.median(b.get(key, 0.0) for b in breakdowns)
        for key in ("queries", "statistics", "time_series", "write")
    }


def _gains_only(built, gains_runs: list[float], breakdowns: list[dict]) -> dict:
    """`--only-gains`: the Gains time and its breakdown, no baselines and no comparison."""
    return {
        "backend": built.backend,
        "improvements": built.improvements,
        "measurements": built.measurements,
        "seconds": statistics.median(gains_runs),
        "seconds_breakdown": _breakdown(breakdowns),
        "build_seconds": built.seconds,
    }


def _differences(fast: dict, slow: dict, only_numbers: bool = False) -> dict:
    """Largest |fast − slow| over effects, CI bounds and p; documents equal apart from floats."""
    from gains.services.estimates.documents import NoEstimate

    largest, compared, identical = 0.0, 0, 0
    for improvement_id, expected in slow.items():
        actual = fast.get(improvement_id)
        if actual is None or isinstance(expected, NoEstimate):
            if not only_numbers and actual != expected:
                raise AssertionError(f"#{improvement_id}: {actual!r} != {expected!r}")
            continue
        if isinstance(actual, NoEstimate):
            raise AssertionError(f"#{improvement_id}: no estimate on the fast path: {actual}")
        compared += 1
        for key in COMPARED:
            a, b = actual[key], expected[key]
            if a is None or b is None:
                if a is not b:
                    raise AssertionError(f"#{improvement_id}.{key}: {a} vs {b}")
                continue
            largest = max(largest, abs(a - b))
        if not only_numbers and _same_apart_from_floats(actual, expected):
            identical += 1
    return {"max_abs_diff": largest, "compared": compared, "identical": identical}


def _same_apart_from_floats(actual: dict, expected: dict) -> bool:
    if list(actual) != list(expected):
        return False
    for key, value in expected.items():
        other = actual[key]
        if isinstance(value, float) and isinstance(other, float):
            if not math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif isinstance(value, dict) and isinstance(other, dict):
            if not _same_apart_from_floats(other, value):
                return False
        elif value != other:
            return False
    return True


# --- The strong baseline ---------------------------------------------------------------------


def strong_baseline(db) -> dict[int, dict]:
    """One query for all active rows, pandas groupby, scipy (or numpy OLS) per improvement."""
    from gains.models import Design, Improvement, Measurement
    from gains.services.measurements.active import active_measurements

    stmt = (
        active_measurements(
            Measurement.improvement_id,
            Improvement.design,
            Measurement.phase,
            Measurement.group,
            Measurement.unit_ref,
            Measurement.value,
        )
        .join(Improvement, Improvement.id == Measurement.improvement_id)
        .where(Improvement.design != Design.TIME_SERIES)
    )
    result = db.session.execute(stmt)
    frame = pd.DataFrame(result.all(), columns=["id", "design", "phase", "group", "unit", "value"])
    for column in ("design", "phase", "group"):
        frame[column] = frame[column].map(lambda member: member.value)
    out = {}
    for improvement_id, rows in frame.groupby("id", sort=False):
        design = rows["design"].iat[0]
        try:
            out[improvement_id] = _STRONG[design](rows)
        except ValueError:
            continue
    return out


def _welch(rows: pd.DataFrame) -> dict:
    treated = rows[rows["group"] == "treatment"]
    before = treated.loc[treated["phase"] == "before", "value"].to_numpy()
    after = treated.loc[treated["phase"] == "after", "value"].to_numpy()
    if len(before) < 2 or len(after) < 2:
        raise ValueError("too few rows")
    test = scipy_stats.ttest_ind(after, before, equal_var=False)
    low, high = test.confidence_interval(0.95)
    return {
        "effect": after.mean() - before.mean(),
        "ci_low": low,
        "ci_high": high,
        "p_value": test.pvalue,
    }


def _paired(rows: pd.DataFrame) -> dict:
    treated = rows[(rows["group"] == "treatment") & rows["unit"].notna()]
    means = treated.groupby(["unit", "phase"])["value"].mean().unstack().dropna()
    if len(means) < 2 or "before" not in means or "after" not in means:
        return _welch(rows)
    test = scipy_stats.ttest_rel(means["after"], means["before"])
    low, high = test.confidence_interval(0.95)
    effect = float((means["after"] - means["before"]).mean())
    return {"effect": effect, "ci_low": low, "ci_high": high, "p_value": test.pvalue}


def _did(rows: pd.DataFrame) -> dict:
    after = (rows["phase"] == "after").to_numpy(dtype=float)
    treated = (rows["group"] == "treatment").to_numpy(dtype=float)
    x = np.column_stack([np.ones_like(after), after, treated, after * treated])
    y = rows["value"].to_numpy(dtype=float)
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    residuals = y - x @ beta
    leverage = np.einsum("ij,jk,ik->i", x, bread, x)
    meat = (x * (residuals / (1 - leverage))[:, None] ** 2).T @ x
    covariance = bread @ meat @ bread
    se = math.sqrt(covariance[3, 3])
    df = len(y) - 4
    crit = scipy_stats.t.ppf(0.975, df)
    effect = beta[3]
    p = 2 * scipy_stats.t.sf(abs(effect / se), df) if se > 0 else math.nan
    return {
        "effect": effect,
        "ci_low": effect - crit * se,
        "ci_high": effect + crit * se,
        "p_value": p,
    }


_STRONG = {"before_after": _welch, "paired": _paired, "control_group": _did}


# --- Reporting -------------------------------------------------------------------------------


def report(results: list[dict]) -> None:
    rows = []
    for r in results:
        rows.append(
            [
                r["backend"],
                r["improvements"],
                r["measurements"],
                r["seconds"],
                r["strong_baseline_seconds"],
                r["baseline_seconds"],
                f"{r['speedup']:.0f}x",
                f"{r['strong_speedup']:.1f}x",
                r["max_abs_diff"],
                f"{r['documents_identical']}/{r['covered']}",
                r["time_series_seconds"],
            ]
        )
    print_table(
        "Recompute every estimate (seconds; Welch, paired, DiD, time series)",
        [
            "backend",
            "N",
            "M",
            "gains",
            "strong",
            "naive",
            "vs naive",
            "vs strong",
            "max |diff|",
            "same docs",
            "time series one by one",
        ],
        rows,
    )
    print_table(
        "Gains path breakdown (median seconds)",
        ["backend", "N", "queries", "statistics", "time series", "write"],
        [[r["backend"], r["improvements"], *r["seconds_breakdown"].values()] for r in results],
    )


def main() -> None:
    parse = parser(__doc__.splitlines()[0])
    parse.add_argument("--rounds", type=int, default=3, help="runs of the fast paths (median)")
    parse.add_argument(
        "--growth", action="store_true", help="also PostgreSQL at N/10 and N/3 (the growth curve)"
    )
    parse.add_argument(
        "--only-gains",
        action="store_true",
        help="time the Gains path only: no baselines, no comparison (a quick full-size check)",
    )
    parse.add_argument(
        "--m-growth",
        action="store_true",
        help="the Gains path alone at N and 0.1, 1 and 3 times M (the M-growth curve)",
    )
    args = parse.parse_args()
    sizes = sizes_from(args)
    backends = backends_from(args)
    plan = [(backend, sizes) for backend in backends]
    if args.growth and "postgresql" in backends:
        smaller = [Sizes(sizes.improvements // f, sizes.measurements // f) for f in (10, 3)]
        plan = [("postgresql", s) for s in smaller] + plan
    if args.m_growth:
        plan = [
            (backend, Sizes(sizes.improvements, round(sizes.measurements * factor)))
            for backend in backends
            for factor in M_GROWTH
        ]
    only_gains = args.only_gains or args.m_growth
    results = []
    with database_urls(backends, "bench_recompute") as urls:
        used: set[str] = set()
        for index, (backend, size) in enumerate(plan):
            url = urls[backend]
            if backend in used:
                url = _fresh_database(backend, url, f"bench_recompute_{index}")
            used.add(backend)
            results.append(measure(url, size, args.rounds, only_gains))
    if only_gains:
        print_table(
            "Gains path only (median seconds)",
            [
                "backend",
                "N",
                "M",
                "gains",
                "queries",
                "statistics",
                "time series",
                "write",
                "cells from rows",
            ],
            [
                [
                    r["backend"],
                    r["improvements"],
                    r["measurements"],
                    r["seconds"],
                    *r["seconds_breakdown"].values(),
                    r["build_seconds"]["cells"],
                ]
                for r in results
            ],
        )
        emit(
            {
                "bench": "recompute",
                "only_gains": True,
                "m_growth": args.m_growth,
                "runs": results,
                "load_average": os.getloadavg(),
                "machine": machine(),
            }
        )
        return
    report(results)
    headline = next(r for r in reversed(results) if r["backend"] == backends[0])
    emit(
        {
            "bench": "recompute",
            "backend": headline["backend"],
            "improvements": headline["improvements"],
            "measurements": headline["measurements"],
            "seconds": round(headline["seconds"], 4),
            "baseline_seconds": round(headline["baseline_seconds"], 3),
            "speedup": round(headline["speedup"], 1),
            "strong_baseline_seconds": round(headline["strong_baseline_seconds"], 4),
            "strong_speedup": round(headline["strong_speedup"], 2),
            "max_abs_diff": headline["max_abs_diff"],
            "time_series_seconds": round(headline["time_series_seconds"], 3),
            "targets_met": {
                "seconds": headline["seconds"] <= TARGET_SECONDS,
                "speedup": headline["speedup"] >= TARGET_SPEEDUP,
                "faster_than_strong": headline["strong_speedup"] > 1.0,
                "max_abs_diff": headline["max_abs_diff"] <= TARGET_DIFF,
            },
            "runs": results,
            "load_average": os.getloadavg(),
            "machine": machine(),
        }
    )


def _fresh_database(backend: str, url: str, name: str) -> str:
    """Another empty database beside ``url``: a new file, or one more on the same server."""
    if backend == "sqlite":
        directory, _, _ = url.rpartition("/")
        return f"{directory}/{name}.db"
    return _fresh_postgres(url, name)


def _fresh_postgres(url: str, name: str) -> str:
    """Another empty database on the same throw-away server."""
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


if __name__ == "__main__":
    main()
