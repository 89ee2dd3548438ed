"""Calibration suite: does each 95 % interval Gains shows hold the truth 95 % of the time?

For every design and size the app accepts as evidence (`bench/calibration/scenarios.py`), it
simulates data with no effect and with a stated effect, runs the app's own code and named
alternatives on the same replications, and reports per scenario and method:

* **coverage**: the share of intervals holding the true effect (null and effect runs
  together; for repeated looks, every look's interval at once);
* **false positives**: with no effect, the share of intervals excluding 0 (any look);
* **power**: with the stated effect, the share of intervals above 0 (any look);
* for a year of Benjamini-Hochberg decisions: the false discovery rate (mean share of false
  discoveries), the share of real effects found and the chance of any false discovery.

Targets (issue 19), marked on the app's rows: coverage ≥ 0.93 in every scenario; the live
estimate's false-positive rate over 20 looks ≤ 0.05; BH's FDR over a year ≤ 0.05; DiD with
repeated units at least as powerful as the change-score analysis.

`python -m bench.calibrate [--reps 2000] [--scenario TEXT,...] [--jobs 2] [--markdown FILE]
[--seed N] [--strict] [--list]`; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from multiprocessing import get_context

import numpy as np

from bench.calibration import engine
from bench.calibration.engine import APP, ScenarioFigures
from bench.calibration.scenarios import by_name, select
from bench.common import emit, log, machine, print_table

DEFAULT_REPS = 2000
COMMAND = "python -m bench.calibrate"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps", type=int, default=DEFAULT_REPS, help="replications per world and scenario"
    )
    parser.add_argument(
        "--scenario", default="", help="comma-separated: run scenarios whose name contains one"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--markdown", help="also write the tables as markdown to this file")
    parser.add_argument("--seed", type=int, default=engine.BASE_SEED)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--list", action="store_true", help="list the scenarios and stop")
    args = parser.parse_args(argv)
    if args.reps < 1 or args.jobs < 1:
        parser.error("--reps and --jobs must be at least 1")
    return args


def _work(task: tuple[str, str, int, int, int]):
    name, world, chunk, reps, seed = task
    scenario = _scenarios()[name]
    return name, world, engine.run_chunk(scenario, world, chunk, reps, seed)


_CACHE: dict = {}


def _scenarios():
    if "grid" not in _CACHE:
        _CACHE["grid"] = by_name()
    return _CACHE["grid"]


def run(filters: list[str] | None, reps: int, jobs: int = 1, seed: int = engine.BASE_SEED):
    """Figures for every selected scenario (in the grid's order)."""
    chosen = select(filters)
    if not chosen:
        raise SystemExit(f"no scenario matches {','.join(filters or [])!r} (see --list)")
    tasks = [
        (scenario.name, world, index, size, seed)
        for scenario in chosen
        for world in scenario.worlds
        for index, size in engine.chunks(reps)
    ]
    collected: dict[str, dict[str, list]] = {s.name: {} for s in chosen}
    described: dict[str, Counter] = {s.name: Counter() for s in chosen}
    evidence: Counter = Counter()
    for done, (name, world, (rows, seen, shown)) in enumerate(_map(tasks, jobs), start=1):
        collected[name].setdefault(world, []).append(rows)
        described[name].update(seen)
        evidence[name] += shown
        if done % max(1, len(tasks) // 20) == 0:
            log(f"{done}/{len(tasks)} chunks")
    figures = []
    for scenario in chosen:
        worlds = {
            world: {method: np.vstack([part[method] for part in parts]) for method in parts[0]}
            for world, parts in collected[scenario.name].items()
        }
        replications = sum(described[scenario.name].values())
        share = evidence[scenario.name] / replications
        figures.append(engine.summarise(scenario, worlds, described[scenario.name], share))
    return figures


def _map(tasks, jobs: int):
    if jobs == 1:
        yield from map(_work, tasks)
        return
    # Workers are forked with the scenarios and the app's statistics already imported.
    _scenarios()
    with get_context("fork").Pool(jobs) as pool:
        yield from pool.imap_unordered(_work, tasks, chunksize=1)


# Output -------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _effect(effect: float | None) -> str:
    return "–" if effect is None else f"{effect:g}"


def _met(figures) -> str:
    if figures.met is None:
        return f"n/a: {figures.target}" if figures.target else ""
    return "yes" if figures.met else "NO"


def print_tables(figures: list[ScenarioFigures]) -> None:
    for family in dict.fromkeys(f.scenario.family for f in figures):
        rows = []
        for summary in (f for f in figures if f.scenario.family == family):
            for method in summary.methods:
                name = f"{APP}: {summary.app_method}" if method.method == APP else method.method
                if summary.scenario.kind == "year":
                    cells = [_number(method.fdr), _number(method.fwer), _number(method.power), "–"]
                elif summary.scenario.kind == "total":
                    cells = [
                        _number(method.bias),
                        _number(method.relative_bias),
                        _number(method.rmse),
                        _number(method.coverage),
                    ]
                else:
                    cells = [
                        _number(method.coverage),
                        _number(method.false_positive),
                        _number(method.power),
                        _number(method.width),
                    ]
                effect = summary.scenario.effect
                rows.append([summary.scenario.label, _effect(effect), name, *cells, _met(method)])
        kind = next(f.scenario.kind for f in figures if f.scenario.family == family)
        header = (
            ["scenario", "effect", "method", "FDR", "any false", "power", "", "target"]
            if kind == "year"
            else ["scenario", "effect", "method", "bias", "rel. bias", "RMSE", "coverage", ""]
            if kind == "total"
            else [
                "scenario",
                "effect",
                "method",
                "coverage",
                "false pos.",
                "power",
                "width",
                "target",
            ]
        )
        print_table(family, header, rows)


def markdown(
    figures: list[ScenarioFigures], reps: int, seconds: float, info: dict, commit: str
) -> str:
    """One table per family: a row per scenario, a column per method with coverage · false
    positives · power (BH: FDR · any false · share of real effects found)."""
    lines = [
        f"Run: `{COMMAND} --reps {reps}` at `{commit}` on {time.strftime('%-d %B %Y')}, "
        f"{info.get('Model name', 'unknown CPU')}, {info.get('CPU(s)', '?')} CPUs, "
        f"{seconds / 60:.0f} min; {reps:,} replications per scenario and world "
        f"(no effect, stated effect).",
        "",
    ]
    for family in dict.fromkeys(f.scenario.family for f in figures):
        group = [f for f in figures if f.scenario.family == family]
        if group[0].scenario.kind == "total":
            lines += _markdown_totals(family, group)
            continue
        methods = [APP] + [m.method for m in group[0].methods if m.method != APP]
        year = group[0].scenario.kind == "year"
        triple = "FDR · any false · found" if year else "coverage · FP · power"
        lines += [f"**{family}** ({triple})", ""]
        lines.append("| scenario | effect | " + " | ".join(methods) + " | target met |")
        lines.append("|---|---:|" + "---|" * len(methods) + "---|")
        for summary in group:
            cells = []
            for method in methods:
                found = summary.figures(method)
                cells.append(_markdown_cell(found, year, method == APP))
            app = summary.figures(APP)
            effect = summary.scenario.effect
            lines.append(
                f"| {summary.scenario.label} | {'–' if effect is None else f'{effect:g}'} | "
                + " | ".join(cells)
                + f" | {_met(app) or '–'} |"
            )
        used = sorted({s.app_method for s in group})
        lines += ["", f"{APP} used: {'; '.join(used)}.", ""]
    return "\n".join(lines)


def _markdown_totals(family: str, group: list[ScenarioFigures]) -> list[str]:
    """A row per scenario, a column per method with bias (relative bias) · RMSE · coverage of
    the total's 95 % band, and the mean number of items approved."""
    methods = [m.method for m in group[0].methods]
    lines = [f"**{family}** (bias (relative) · RMSE · band coverage)", ""]
    lines.append("| scenario | approved | " + " | ".join(methods) + " |")
    lines.append("|---|---:|" + "---|" * len(methods))
    for summary in group:
        cells = []
        for method in methods:
            found = summary.figures(method)
            cells.append(
                f"{found.bias:+.3f} ({found.relative_bias:+.0%}) · {found.rmse:.3f} · "
                f"{_number(found.coverage).replace('0.', '.', 1)}"
            )
        approved = summary.methods[0].approved
        lines.append(f"| {summary.scenario.label} | {approved:.1f} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"


def _markdown_cell(found, year: bool, is_app: bool) -> str:
    if found is None:
        return "–"
    if year:
        parts = [found.fdr, found.fwer, found.power]
    else:
        parts = [found.coverage, found.false_positive, found.power]
    text = " · ".join(
        _number(value).replace("0.", ".", 1) if value is not None else "–" for value in parts
    )
    return f"**{text}**" if is_app else text


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    filters = [text.strip() for text in args.scenario.split(",") if text.strip()]
    if args.list:
        for scenario in select(filters):
            print(scenario.name)
        return 0
    began = time.perf_counter()
    commit = _commit()  # the code measured, before anything is committed during a long run
    log(f"calibration: {len(select(filters))} scenarios, {args.reps} reps, {args.jobs} jobs")
    figures = run(filters, args.reps, args.jobs, args.seed)
    seconds = time.perf_counter() - began
    print_tables(figures)
    info = machine()
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write(markdown(figures, args.reps, seconds, info, commit) + "\n")
        log(f"markdown written to {args.markdown}")
    missed = [
        f"{f.scenario.name}: {'; '.join(f.figures(APP).missed)}"
        for f in figures
        if f.figures(APP) is not None and f.figures(APP).met is False
    ]
    print(f"\nTargets missed by {APP}: {len(missed)} of {len(figures)} scenarios")
    for line in missed:
        print(f"  {line}")
    emit(
        {
            "bench": "calibrate",
            "reps": args.reps,
            "seed": args.seed,
            "jobs": args.jobs,
            "seconds": round(seconds, 1),
            # CPU time of this process and its workers: the run's length on an idle machine
            # is about this divided by --jobs, however busy the machine was.
            "cpu_seconds": round(_cpu_seconds(), 1),
            "scenarios": len(figures),
            "targets_met": not missed,
            "missed": missed,
            "results": [_json(f) for f in figures],
            "machine": info,
            "load_average": os.getloadavg(),
        }
    )
    return 1 if args.strict and missed else 0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def _json(summary: ScenarioFigures) -> dict:
    return {
        "scenario": summary.scenario.name,
        "effect": summary.scenario.effect,
        "app_method": summary.app_method,
        "evidence_share": summary.evidence_share,
        "methods": {
            m.method: {
                key: _rounded(getattr(m, key))
                for key in (
                    "coverage",
                    "false_positive",
                    "power",
                    "width",
                    "fdr",
                    "fwer",
                    "bias",
                    "relative_bias",
                    "rmse",
                    "approved",
                    "failed",
                    "met",
                    "missed",
                )
                if getattr(m, key) not in (None, [])
            }
            for m in summary.methods
        },
    }


if __name__ == "__main__":
    sys.exit(main())
