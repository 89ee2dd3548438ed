"""The benchmarks at tiny sizes, so they never rot: each runs as `make bench` runs it (its own
process, its own databases) and must end with its JSON line carrying the contract's keys.

Sizes are far below `--quick` to keep this under a minute; the figures are not checked
(this machine is shared), only that every path runs and the fast path agrees with the
per-improvement one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--improvements", "32", "--measurements", "1600", "--backends", "sqlite"]


def run_bench(module: str, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    return result, (json.loads(lines[-1]) if result.returncode == 0 and lines else None)


def test_recompute_benchmark_reports_its_figures_and_agrees():
    result, figures = run_bench("recompute", *TINY, "--rounds", "1")
    assert figures is not None, result.stderr[-3000:]
    for key in (
        "seconds",
        "baseline_seconds",
        "speedup",
        "strong_baseline_seconds",
        "max_abs_diff",
    ):
        assert isinstance(figures[key], int | float), key
    assert figures["bench"] == "recompute"
    assert figures["max_abs_diff"] <= 1e-9
    run = figures["runs"][0]
    assert run["covered"] > 0 and run["documents_identical"] == run["covered"]


def test_recompute_m_growth_times_the_gains_path_at_three_row_counts():
    result, figures = run_bench("recompute", *TINY, "--rounds", "1", "--m-growth")
    assert figures is not None, result.stderr[-3000:]
    assert figures["m_growth"] is True
    runs = figures["runs"]
    assert [run["improvements"] for run in runs] == [32, 32, 32]
    assert [run["measurements"] for run in runs] == [160, 1600, 4800]
    assert all(run["seconds"] > 0 for run in runs)


def test_dashboard_load_benchmark_reports_latencies():
    result, figures = run_bench("dashboards", *TINY, "--requests", "4")
    assert figures is not None, result.stderr[-3000:]
    assert figures["bench"] == "dashboards"
    for key in ("p50_ms", "p95_ms", "p99_ms", "rps"):
        assert figures[key] > 0, key
    assert len(figures["pages"]) == 5


def test_import_benchmark_measures_or_says_why_not():
    # Both databases: the PostgreSQL baselines (raw COPY, COPY into the table) run only there.
    result, figures = run_bench("import_csv", "--rows", "2000", "--backends", "postgresql,sqlite")
    if result.returncode == 1 and "needs the `gains import" in result.stderr:
        assert "No figures were measured" in result.stderr  # this branch has no command
        assert not result.stdout.strip()
        return
    assert figures is not None, result.stderr[-3000:]
    assert figures["bench"] == "import"
    for key in (
        "seconds",
        "rows_per_s",
        "peak_rss_mb",
        "pandas_seconds",
        "copy_seconds",
        "table_copy_seconds",
    ):
        assert figures[key] > 0, key
    assert {run["backend"] for run in figures["runs"]} == {"postgresql", "sqlite"}


def test_dashboard_load_benchmark_measures_only_the_pages_asked_for():
    result, figures = run_bench("dashboards", *TINY, "--requests", "4", "--pages", "list")
    assert figures is not None, result.stderr[-3000:]
    assert list(figures["pages"]) == ["improvement list (filtered)"]
    result, figures = run_bench("dashboards", *TINY, "--pages", "lists")
    assert result.returncode != 0 and "unknown page(s): lists" in result.stderr


def test_similar_search_benchmark_times_the_page_and_both_ways_of_searching():
    result, figures = run_bench("dashboards", *TINY, "--requests", "4", "--pages", "similar")
    assert figures is not None, result.stderr[-3000:]
    assert list(figures["pages"]) == ["similar improvements"]
    ways = figures["similar_search"]
    assert len(ways) == 5 and all(way["calls"] > 0 and way["p95_ms"] > 0 for way in ways.values())


def test_ranged_money_benchmark_times_the_total_and_its_monte_carlo_error():
    result, figures = run_bench(
        "money_ranges", "--items", "200", "--departments", "4", "--rounds", "1", "--replicates", "3"
    )
    assert figures is not None, result.stderr[-3000:]
    assert figures["bench"] == "money_ranges" and figures["finite"]
    assert figures["seconds"] > 0
    for error in (figures["total_mc_error"], figures["saving_mc_error"]):
        assert error["low_sd_pct_of_width"] > 0 and error["high_sd_pct_of_width"] > 0
