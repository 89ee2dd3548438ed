"""`gains import FILE.csv --improvement REFERENCE [--source NAME] [--dry-run]`.

REFERENCE is the improvement's reference, "WKP-0042", or its number alone, "42" (decision
0042); a reference with another department's code is refused.

Exit status: 0 imported (or, with --dry-run, would import); 2 the file was rejected (its
problems listed as the web upload words them); 1 nothing could be tried (no such
improvement, the file cannot be opened, the improvement does not take data now).
See `services/measurements/bulk_import.py` for how the rows are checked and written.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from gains.bounds import SOURCE_NAME, TypedReference, read_reference, reference_problem
from gains.commands import within
from gains.extensions import db
from gains.models import Improvement
from gains.services.improvements.workflow import WorkflowError
from gains.services.measurements.bulk_import import import_measurements
from gains.services.measurements.rows import RowsRejected

REJECTED = 2


class _ProgressBar:
    """tqdm over the file's bytes on a terminal; silent otherwise (pipes, cron, tests)."""

    def __init__(self, total_bytes: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total_bytes, unit="B", unit_scale=True, desc="Importing", leave=False
            )
        self.done = 0

    def __call__(self, byte_count: int, row_count: int) -> None:
        if self.bar is not None:
            self.bar.update(byte_count - self.done)
            self.bar.set_postfix(rows=f"{row_count:,}", refresh=False)
            self.done = byte_count

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _reference(context: click.Context, parameter: click.Parameter, value: str) -> TypedReference:
    """--improvement as a reference ("WKP-0042") or a number, refused as the bounds say."""
    problem = reference_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return read_reference(value)


def _improvement(reference: TypedReference) -> Improvement:
    improvement = db.session.get(Improvement, reference.number)
    if improvement is None:
        raise click.ClickException(f"There is no improvement {reference.number}.")
    wrong_code = reference.problem_with(improvement.department.code, improvement.id)
    if wrong_code:
        raise click.ClickException(f"{wrong_code}.")
    return improvement


def _report_rejection(rejected: RowsRejected, path: str) -> None:
    problems = f"{rejected.total:,} problem{'s' if rejected.total != 1 else ''}"
    click.echo(f"{path}: {problems}; nothing was imported.", err=True)
    for error in rejected.errors:
        where = f"line {error.line}" + (f", column {error.column}" if error.column else "")
        click.echo(f"  {where}: {error.message}", err=True)
    if rejected.total > len(rejected.errors):
        click.echo(f"  … and {rejected.total - len(rejected.errors):,} more", err=True)


@click.command("import")
@click.argument("path", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--improvement",
    "reference",
    callback=_reference,
    required=True,
    metavar="REFERENCE",
    help="The improvement the rows belong to: its reference, like WKP-0042, or its number.",
)
@click.option(
    "--source",
    "source_name",
    metavar="NAME",
    callback=within(SOURCE_NAME),
    help="Where the rows come from, recorded on the batch (e.g. the exporting system).",
)
@click.option("--dry-run", is_flag=True, help="Check the whole file; write nothing.")
@with_appcontext
def import_command(path: str, reference: TypedReference, source_name: str | None, dry_run: bool):
    """Import a measurements CSV (the web upload's columns) into one improvement, all or
    nothing, as the server's operator."""
    began = time.perf_counter()
    improvement = _improvement(reference)
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below, after the transaction)
    except OSError as error:
        raise click.ClickException(f"Cannot read {path}: {error.strerror}.") from None
    with stream:
        progress = _ProgressBar(os.fstat(stream.fileno()).st_size, sys.stdout.isatty())
        try:
            result = import_measurements(
                improvement,
                stream,
                source_name=source_name,
                filename=Path(path).name,
                dry_run=dry_run,
                on_progress=progress,
            )
        except RowsRejected as rejected:
            db.session.rollback()
            progress.close()
            _report_rejection(rejected, path)
            sys.exit(REJECTED)
        except WorkflowError as error:
            db.session.rollback()
            progress.close()
            raise click.ClickException(f"{error}: nothing was imported.") from None
        except BaseException:
            db.session.rollback()
            progress.close()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        progress.close()
    seconds = time.perf_counter() - began
    if dry_run:
        click.echo(
            f"Dry run: {result.row_count:,} rows checked for improvement {improvement.reference}, "
            f"no problems; nothing written ({seconds:.1f} s)."
        )
    else:
        click.echo(
            f"Imported {result.row_count:,} rows into improvement {improvement.reference} as batch "
            f"{result.batch.id} ({seconds:.1f} s)."
        )
