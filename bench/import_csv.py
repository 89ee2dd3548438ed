"""Bulk import: a 1,000,000-row CSV through `gains import` against two baselines, same run.

* **gains import** `FILE.csv --improvement ID` (the command, as a separate process): every
  row checked, one batch, the estimate refreshed; into PostgreSQL and SQLite;
* **pandas**: ``read_csv`` + ``to_sql`` into the measurements table (no checks);
* **raw COPY**: PostgreSQL ``COPY … FROM STDIN (FORMAT csv)`` of the file into a table of the
  same columns (no checks, no batch, no estimate): the floor, and the target's baseline;
* **COPY into measurements** (PostgreSQL, to explain the gap, not a target): the same COPY
  into the real table under a batch of its own, so the server checks each row's foreign key
  and maintains the primary key and indexes, as it must for any write of these rows.

Each runs in its own process; reported: seconds, rows/s and that process's peak RSS
(``wait4``), and the rows found in the database afterwards (must equal the file's).
Targets: ≤ 10 s, ≤ 300 MB, within 2× of raw COPY.

`python -m bench.import_csv [--quick] [--rows 1000000] [--backends postgresql,sqlite]`

If this branch has no `gains import` command the benchmark stops with status 1 and says so;
it never reports figures it did not measure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import (
    BENCH_SECRET,
    ROOT,
    Sizes,
    backends_from,
    database_urls,
    emit,
    log,
    machine,
    make_app,
    parser,
    print_table,
)
from bench.generate import SEED, build_database

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 300.0
TARGET_VS_COPY = 2.0
GAINS = Path(sys.executable).with_name("gains")


def write_csv(path: Path, rows: int) -> None:
    """A realistic upload: phase, group, unit, date, value (half before, half after)."""
    rng = np.random.default_rng(SEED + 7)
    after = np.arange(rows) % 2 == 1
    days = np.where(after, rng.integers(0, 120, rows), -rng.integers(1, 120, rows))
    frame = pd.DataFrame(
        {
            "phase": np.where(after, "after", "before"),
            "group": "treatment",
            "unit": np.char.add("case ", (np.arange(rows) // 2 % 5000).astype(str)),
            "date": (pd.Timestamp("2026-03-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "value": np.round(rng.normal(40, 6, rows) - after * 2.0, 2),
        }
    )
    frame.to_csv(path, index=False)


def command_available() -> str | None:
    """None when `gains import` exists; otherwise why not."""
    result = subprocess.run(
        [str(GAINS), "import", "--help"], capture_output=True, text=True, check=False, env=_env("")
    )
    if result.returncode != 0 or "--improvement" not in result.stdout:
        return (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
    return None


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")}
    env.update(GAINS_SECRET_KEY=BENCH_SECRET, GAINS_DATABASE_URL=url or "sqlite://")
    return env


# A small launcher process forks and execs the measured command and reaps it with wait4.
# Linux carries a process's peak RSS across fork and exec, so a child forked straight from
# this benchmark (which holds the generated data) would report this process's peak; forked
# from the small launcher, the figure is the command's own (within the launcher's ~10 MB).
LAUNCHER = """
import json, os, sys, time
report, args = sys.argv[1], sys.argv[2:]
began = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(args[0], args)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    json.dump({"seconds": time.perf_counter() - began, "peak_rss_mb": usage.ru_maxrss / 1024,
               "returncode": os.waitstatus_to_exitcode(status)}, out)
"""


def run_child(args: list[str], env: dict[str, str]) -> dict:
    """Run a process; its wall time and its own peak RSS (see LAUNCHER)."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".json") as report,
    ):
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, report.name, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            check=False,
        )
        measured = json.loads(Path(report.name).read_text())
        out.seek(0)
        err.seek(0)
        return {**measured, "stdout": out.read(), "stderr": err.read()}


def prepare(url: str) -> int:
    """A small register and one running before/after improvement to import into."""
    from sqlalchemy import select, update

    from gains.extensions import db
    from gains.models import Design, Improvement, Status

    build_database(url, Sizes(24, 240), estimates="none")
    app = make_app(url)
    with app.app_context():
        target = db.session.scalars(
            select(Improvement.id)
            .where(Improvement.design == Design.BEFORE_AFTER)
            .order_by(Improvement.id)
        ).first()
        db.session.execute(
            update(Improvement).where(Improvement.id == target).values(status=Status.RUNNING)
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return target


def count_rows(url: str, table: str, improvement_id: int | None = None) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    where = f" WHERE improvement_id = {int(improvement_id)}" if improvement_id else ""
    with engine.connect() as connection:
        found = connection.execute(text(f"SELECT count(*) FROM {table}{where}")).scalar_one()
    engine.dispose()
    return found


def measure(backend: str, url: str, csv_path: Path, rows: int) -> list[dict]:
    target = prepare(url)
    before = count_rows(url, "measurements", target)
    results = []

    log(f"{backend}: gains import of {rows:,} rows")
    run = run_child([str(GAINS), "import", str(csv_path), "--improvement", str(target)], _env(url))
    if run["returncode"] != 0:
        raise SystemExit(f"gains import failed ({run['returncode']}): {run['stderr'][-2000:]}")
    imported = count_rows(url, "measurements", target) - before
    results.append(_row(backend, "gains import", run, rows, imported))

    baselines = [("pandas", "pandas to_sql")]
    if backend == "postgresql":
        baselines += [("copy", "raw COPY"), ("table", "COPY into measurements")]
    for child, method in baselines:
        log(f"{backend}: {method}")
        run = run_child(
            [sys.executable, "-m", "bench.import_csv", "--child", child, url, str(csv_path)],
            _env(url),
        )
        if run["returncode"] != 0:
            raise SystemExit(f"{method} failed: {run['stderr'][-2000:]}")
        results.append(_row(backend, method, run, rows, json.loads(run["stdout"])["rows"]))
    return results


def _row(backend: str, method: str, run: dict, rows: int, found: int) -> dict:
    if found != rows:
        raise SystemExit(f"{backend} {method}: {found:,} rows in the database, expected {rows:,}")
    return {
        "backend": backend,
        "method": method,
        "seconds": round(run["seconds"], 3),
        "rows_per_s": round(rows / run["seconds"]),
        "peak_rss_mb": round(run["peak_rss_mb"], 1),
    }


# --- The baselines, each in its own process --------------------------------------------------


def child_pandas(url: str, csv_path: str) -> None:
    """read_csv + to_sql into the measurements table, under a batch of its own."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    frame = pd.read_csv(csv_path, parse_dates=["date"])
    frame["date"] = frame["date"].dt.date  # the column is a DATE
    with engine.begin() as connection:
        improvement_id = connection.execute(
            text("SELECT id FROM improvements WHERE status = 'running' ORDER BY id LIMIT 1")
        ).scalar_one()
        batch_id = connection.execute(
            text(
                "INSERT INTO upload_batches (improvement_id, source, status, row_count, created_at)"
                " VALUES (:i, 'cli', 'active', :n, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"i": improvement_id, "n": len(frame)},
        ).scalar_one()
        table = frame.rename(
            columns={"group": "study_group", "unit": "unit_ref", "date": "observed_on"}
        ).assign(improvement_id=improvement_id, batch_id=batch_id)
        table.to_sql("measurements", connection, if_exists="append", index=False, chunksize=10_000)
    print(json.dumps({"rows": len(table)}))


def child_copy(url: str, csv_path: str) -> None:
    """PostgreSQL COPY of the file as it is into a table with its columns: the floor."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        connection.execute(
            "CREATE TABLE raw_import (phase text, study_group text, unit_ref text,"
            " observed_on date, value double precision)"
        )
        with (
            connection.cursor().copy(
                "COPY raw_import FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            open(csv_path, "rb") as source,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        rows = connection.execute("SELECT count(*) FROM raw_import").fetchone()[0]
    print(json.dumps({"rows": rows}))


def child_table_copy(url: str, csv_path: str) -> None:
    """COPY of the file into `measurements` itself under a batch of its own: what the server
    alone takes to store the rows with their foreign key, primary key and indexes."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        improvement_id = connection.execute(
            "SELECT id FROM improvements WHERE status = 'running' ORDER BY id LIMIT 1"
        ).fetchone()[0]
        batch_id = connection.execute(
            "INSERT INTO upload_batches (improvement_id, source, status, row_count, created_at)"
            " VALUES (%s, 'cli', 'active', 0, CURRENT_TIMESTAMP) RETURNING id",
            (improvement_id,),
        ).fetchone()[0]
        # The file has no key columns: defaults for the COPY alone (a throw-away database).
        connection.execute(
            f"ALTER TABLE measurements ALTER COLUMN improvement_id SET DEFAULT {improvement_id},"
            f" ALTER COLUMN batch_id SET DEFAULT {batch_id}"
        )
        with (
            connection.cursor().copy(
                "COPY measurements (phase, study_group, unit_ref, observed_on, value)"
                " FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            open(csv_path, "rb") as source,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        connection.execute(
            "ALTER TABLE measurements ALTER COLUMN improvement_id DROP DEFAULT,"
            " ALTER COLUMN batch_id DROP DEFAULT"
        )
        rows = connection.execute(
            "SELECT count(*) FROM measurements WHERE batch_id = %s", (batch_id,)
        ).fetchone()[0]
    print(json.dumps({"rows": rows}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        children = {"pandas": child_pandas, "copy": child_copy, "table": child_table_copy}
        children[sys.argv[2]](sys.argv[3], sys.argv[4])
        return
    parse = parser(__doc__.splitlines()[0])
    parse.add_argument("--rows", type=int, help="CSV rows (default 1,000,000; quick 20,000)")
    args = parse.parse_args()
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    missing = command_available()
    if missing:
        print(
            "The import benchmark needs the `gains import FILE.csv --improvement ID` command, "
            f"which this branch does not have ({missing[0]}). No figures were measured.",
            file=sys.stderr,
        )
        sys.exit(1)
    backends = backends_from(args)
    results = []
    with tempfile.TemporaryDirectory(prefix="gains-import-") as directory:
        csv_path = Path(directory) / "measurements.csv"
        write_csv(csv_path, rows)
        log(f"wrote {rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB")
        with database_urls(backends, "bench_import") as urls:
            for backend in backends:
                results.extend(measure(backend, urls[backend], csv_path, rows))
    print_table(
        f"Import {rows:,} CSV rows (each method in its own process)",
        ["backend", "method", "seconds", "rows/s", "peak RSS MB"],
        [
            [r["backend"], r["method"], r["seconds"], r["rows_per_s"], r["peak_rss_mb"]]
            for r in results
        ],
    )
    by = {(r["backend"], r["method"]): r for r in results}
    headline = by[(backends[0], "gains import")]
    copy = by.get(("postgresql", "raw COPY"))
    table_copy = by.get(("postgresql", "COPY into measurements"))
    emit(
        {
            "bench": "import",
            "backend": backends[0],
            "rows": rows,
            "seconds": headline["seconds"],
            "rows_per_s": headline["rows_per_s"],
            "peak_rss_mb": headline["peak_rss_mb"],
            "pandas_seconds": by[(backends[0], "pandas to_sql")]["seconds"],
            "copy_seconds": copy["seconds"] if copy else None,
            "vs_copy": round(headline["seconds"] / copy["seconds"], 2) if copy else None,
            "table_copy_seconds": table_copy["seconds"] if table_copy else None,
            "targets_met": {
                "seconds": headline["seconds"] <= TARGET_SECONDS,
                "peak_rss_mb": headline["peak_rss_mb"] <= TARGET_RSS_MB,
                "within_2x_copy": bool(copy)
                and headline["seconds"] <= TARGET_VS_COPY * copy["seconds"],
            },
            "runs": results,
            "load_average": os.getloadavg(),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
