"""`gains estimates recompute-all`: rebuild every cached estimate after the statistics change."""

from __future__ import annotations

import json
import time

import click
from flask.cli import with_appcontext

from gains.extensions import db
from gains.services.audit.events import record_bulk_event
from gains.services.estimates.cells import refresh_all_cells
from gains.services.estimates.current import NoEstimate, recompute_cycle_estimates
from gains.services.estimates.recompute import recompute_all


@click.group("estimates")
def estimates_group() -> None:
    """The estimate cache."""


@estimates_group.command("recompute-all")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@with_appcontext
def recompute_all_command(as_json: bool) -> None:
    """Recompute and store every improvement's estimate at its current data version.

    Welch, paired and difference-in-differences come from database aggregates for all
    improvements at once; time series and DiD with repeated units go one by one.
    """
    recomputed = recompute_all()
    with_cycles = recompute_cycle_estimates()
    without = sum(isinstance(d, NoEstimate) for d in recomputed.documents.values())
    # In the admins' trail, committed with the estimates (the figures version moves too).
    record_bulk_event(
        None,
        "estimates.recomputed",
        "estimates",
        after={
            "improvements": len(recomputed.documents),
            "estimates": len(recomputed.documents) - without,
        },
    )
    db.session.commit()
    summary = {
        "improvements": len(recomputed.documents),
        "estimates": len(recomputed.documents) - without,
        "without_estimate": without,
        "from_aggregates": dict(sorted(recomputed.methods.items())),
        "one_by_one": len(recomputed.per_improvement_ids),
        "with_cycles": with_cycles,  # improvements whose PDSA cycles' estimates were redone
        "seconds": {name: round(value, 3) for name, value in recomputed.seconds.items()},
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"Recomputed {summary['estimates']:,} estimates for {summary['improvements']:,} "
        f"improvements in {summary['seconds']['total']:.2f} s "
        f"({without:,} without enough data)."
    )
    methods = ", ".join(f"{name} {count:,}" for name, count in summary["from_aggregates"].items())
    click.echo(f"From aggregates: {methods or 'none'}; one by one: {summary['one_by_one']:,}.")
    click.echo(f"PDSA cycles' estimates redone for {with_cycles:,} improvements.")


@estimates_group.command("refresh-cells")
@with_appcontext
def refresh_cells_command() -> None:
    """Rebuild every improvement's cell summaries from its measurements.

    Run once after the `0007_measurement_cells` migration, or after loading measurements
    around the services (a restore, a bulk SQL load). The app keeps them on every write;
    recompute-all also rebuilds any it finds missing or stale.
    """
    began = time.perf_counter()
    count = refresh_all_cells()
    db.session.commit()
    click.echo(
        f"Rebuilt the cell summaries of {count:,} improvements in "
        f"{time.perf_counter() - began:.2f} s."
    )
