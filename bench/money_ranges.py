"""Savings with input ranges: how long Treasury's correlated total of the whole register
takes, and how far its Monte Carlo band (and one saving's interval) moves between seeds.

No database: `gains.stats.money` is pure. The register is deterministic (numpy, fixed seed):
savings of −£10,000 to £1 million a year, SEs of 5-60 % of them, volume ranges of −10 to
−30 % / +10 to +50 % and £-per-unit ranges of −5 to −25 % / +5 to +40 % around the central
values, over 40 departments; `--ranged-share` sets the share of items that have ranges (the
rest are exact and cost no draws). A different seed is a department key with a replicate
suffix (`ranged_total` seeds each department by its key).

    .venv/bin/python -m bench.money_ranges [--quick] [--items 10000] [--departments 40]
        [--ranged-share 1.0] [--rounds 3] [--replicates 20]
"""

from __future__ import annotations

import math
import os

import numpy as np

from bench.common import Stopwatch, emit, log, machine, peak_rss_mb, print_table
from gains.stats.money import (
    SAVING_DRAWS,
    TOTAL_DRAWS,
    RangedItem,
    ranged_total,
    simulated_saving_interval,
)

FULL = {"items": 10_000, "departments": 40, "replicates": 20}
QUICK = {"items": 1_000, "departments": 10, "replicates": 5}


def register(items: int, departments: int, ranged_share: float, replicate: int = 0):
    rng = np.random.default_rng(2026)
    saving = rng.uniform(-1e6, 1e8, items)
    se = np.abs(saving) * rng.uniform(0.05, 0.6, items)
    ranged = rng.random(items) < ranged_share
    volume = np.where(ranged[:, None], 1 + rng.uniform([-0.3, 0.1], [-0.1, 0.5], (items, 2)), 1)
    value = np.where(ranged[:, None], 1 + rng.uniform([-0.25, 0.05], [-0.05, 0.4], (items, 2)), 1)
    factor = rng.uniform(2, 8, items)  # a present-value factor, so NPV is totalled too
    return [
        RangedItem(
            saving_pence=int(saving[i]),
            se_pence=float(se[i]),
            department=f"department {i % departments}/{replicate}",
            volume_ratios=(float(volume[i, 0]), float(volume[i, 1])),
            value_ratios=(float(value[i, 0]), float(value[i, 1])),
            weight=float(factor[i]),
            offset_pence=int(saving[i] // 2),
        )
        for i in range(items)
    ]


def spread(ends: np.ndarray, widths: np.ndarray) -> dict[str, float]:
    """Each end's SD across seeds, as a % of the band's width and of the end itself."""
    sd = ends.std(axis=0, ddof=1)
    return {
        "low_sd_pct_of_width": float(100 * sd[0] / widths.mean()),
        "high_sd_pct_of_width": float(100 * sd[1] / widths.mean()),
        "low_sd_pct_of_value": float(100 * sd[0] / abs(ends[:, 0].mean())),
        "high_sd_pct_of_value": float(100 * sd[1] / abs(ends[:, 1].mean())),
    }


def main() -> None:
    parse = __import__("argparse").ArgumentParser(description=__doc__.splitlines()[0])
    parse.add_argument("--quick", action="store_true", help="1,000 items in 10 departments")
    parse.add_argument("--items", type=int)
    parse.add_argument("--departments", type=int)
    parse.add_argument("--ranged-share", type=float, default=1.0)
    parse.add_argument("--rounds", type=int, default=3)
    parse.add_argument("--replicates", type=int, help="seeds for the Monte Carlo error")
    args = parse.parse_args()
    base = QUICK if args.quick else FULL
    items = args.items or base["items"]
    departments = args.departments or base["departments"]
    replicates = args.replicates or base["replicates"]

    log(f"total of {items:,} items in {departments} departments, {args.rounds} rounds")
    times, totals = [], None
    for _ in range(args.rounds):
        register_items = register(items, departments, args.ranged_share)
        with Stopwatch() as watch:
            totals = ranged_total(register_items)
        times.append(watch.seconds)
    log(f"Monte Carlo error of the total over {replicates} seeds")
    ends = np.array(
        [
            [totals.saving.band_low_pence, totals.saving.band_high_pence]
            for totals in (
                ranged_total(register(items, departments, args.ranged_share, r))
                for r in range(replicates)
            )
        ],
        dtype=float,
    )
    total_error = spread(ends, ends[:, 1] - ends[:, 0])

    log("Monte Carlo error of one saving's interval over 200 seeds")
    one = np.array(
        [
            simulated_saving_interval(
                2.5, 1.0, 12.0, 100.0, (30e3, 40e3, 45e3), (2.5, 3.2, 4.0), seed=s
            )
            for s in range(200)
        ]
    )
    item_error = spread(one, one[:, 1] - one[:, 0])

    print_table(
        "Correlated total (ranged_total)",
        ["items", "departments", "ranged", "draws", "best s", "median s", "peak MB"],
        [
            [
                items,
                departments,
                args.ranged_share,
                TOTAL_DRAWS,
                min(times),
                float(np.median(times)),
                peak_rss_mb(),
            ]
        ],
    )
    print_table(
        "Monte Carlo SD of each end (% of the band's width / of the end's value)",
        ["what", "draws", "seeds", "low % width", "high % width", "low % value", "high % value"],
        [
            ["total", TOTAL_DRAWS, replicates, *total_error.values()],
            ["one saving", SAVING_DRAWS, 200, *item_error.values()],
        ],
    )
    emit(
        {
            "bench": "money_ranges",
            "items": items,
            "departments": departments,
            "ranged_share": args.ranged_share,
            "draws": TOTAL_DRAWS,
            "seconds": min(times),
            "median_seconds": float(np.median(times)),
            "peak_rss_mb": peak_rss_mb(),
            "total_mc_error": total_error,
            "saving_draws": SAVING_DRAWS,
            "saving_mc_error": item_error,
            "band": [totals.saving.band_low_pence, totals.saving.band_high_pence],
            "machine": machine(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "finite": bool(
                np.isfinite(ends).all() and not math.isnan(item_error["low_sd_pct_of_width"])
            ),
        }
    )


if __name__ == "__main__":
    main()
