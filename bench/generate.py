"""A deterministic register for the benchmarks: N improvements, M measurements, bulk loaded.

`build_database(url, sizes)` migrates an empty database with the real migrations and fills it:
departments, teams and people (one manager and one member per department, plus Treasury
and an administrator, all with `PASSWORD`), N improvements across departments, designs, kinds,
pillars and statuses, one active batch each, M measurements (numpy, seeded, so every run and
machine gets the same rows), the estimate cache, and a review for every decided improvement
(an approval carries the snapshot the app would have stored). Rows go in through the bulk
paths (PostgreSQL `COPY`, SQLite `executemany` in one transaction) so that generating is not
what the benchmarks measure.

Run alone: `python -m bench.generate --sqlite FILE.db [--quick]` builds a file to look at.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text
from werkzeug.security import generate_password_hash

from bench.common import Sizes, Stopwatch, log, make_app, parser, sizes_from

PASSWORD = "bench-password-123"
SEED = 20261128
N_DEPARTMENTS = 12
TEAMS_PER_DEPARTMENT = 4
TODAY = date(2026, 11, 1)
DESIGNS = ("before_after", "paired", "control_group", "time_series")
DESIGN_WEIGHTS = (0.40, 0.25, 0.25, 0.10)
STATUSES = (
    "draft",
    "running",
    "submitted",
    "approved",
    "rejected",
    "changes_requested",
    "withdrawn",
)
STATUS_WEIGHTS = (0.05, 0.35, 0.15, 0.30, 0.05, 0.05, 0.05)
PILLARS = ("pursuing_goals", "managing_inputs", "engaging_users", "system_capacity")
LOGINS = {
    "treasury": "treasury@bench.invalid",
    "admin": "admin@bench.invalid",
    "manager": "manager-1@bench.invalid",  # department 1
    "member": "member-1@bench.invalid",
}


# Titles and hypotheses read like a register's (docs EXAMPLES), so that full-text search
# (`--pages similar`) ranks real text: a change applied to a service, each pair shared by
# about N / 225 improvements, as near-duplicates across departments are.
CHANGES = (
    "Pre-fill known fields on",
    "Plain-English rewrite of",
    "Text reminder before",
    "Save and return on",
    "Photo check before payment for",
    "Triage script for",
    "Shorter version of",
    "Online booking for",
    "Checklist for",
    "Same-day callback for",
    "Social norm line in",
    "Personalised message in",
    "Digital signature on",
    "Evidence list sent with",
    "Standing huddle for",
)
SERVICES = (
    "the renewal form",
    "the council-tax bill",
    "appointment letters",
    "the passport application",
    "the benefit claim",
    "fine escalation letters",
    "ward discharge",
    "bin collection rounds",
    "the contact centre's top calls",
    "vehicle-tax reminders",
    "outpatient clinics",
    "organ donor sign-up",
    "casework meetings",
    "housing repair requests",
    "school admissions",
)
OUTCOMES = (
    "cuts the time people spend on it",
    "means fewer mistakes to put right",
    "gets more done right first time",
    "reduces repeat calls and letters",
    "saves staff time on every case",
)
METRICS = (
    "Minutes to complete",
    "Missed appointments",
    "Calls per 1,000 bills",
    "Applications returned for errors",
    "Share paid on time",
    "Length of stay",
    "Miles per round",
    "Cases closed per FTE",
)


def _words(n: int) -> tuple[list[str], list[str], list[str]]:
    """Each improvement's title, hypothesis and metric name (a generator of its own, so the
    other columns draw the same numbers as before these words existed)."""
    rng = np.random.default_rng(SEED + 22)
    change = rng.integers(0, len(CHANGES), n)
    service = rng.integers(0, len(SERVICES), n)
    outcome = rng.integers(0, len(OUTCOMES), n)
    metric = rng.integers(0, len(METRICS), n)
    titles = [
        f"Bench improvement {i + 1:06d}: {CHANGES[change[i]]} {SERVICES[service[i]]}"
        for i in range(n)
    ]
    hypotheses = [
        f"{CHANGES[change[i]]} {SERVICES[service[i]]} {OUTCOMES[outcome[i]]}." for i in range(n)
    ]
    return titles, hypotheses, [METRICS[m] for m in metric]


@dataclass(frozen=True)
class Built:
    sizes: Sizes
    backend: str
    improvements: int
    measurements: int
    estimates: int
    reviews: int
    seconds: dict[str, float]


def build_database(url: str, sizes: Sizes, *, estimates: str = "fast") -> Built:
    """Migrate and fill an empty database. ``estimates``: "all", "fast" (not time series) or
    "none" (no estimate cache and so no approvals)."""
    import flask_migrate

    from gains.extensions import db

    app = make_app(url)
    seconds: dict[str, float] = {}
    with app.app_context():
        with Stopwatch() as clock:
            flask_migrate.upgrade()
        seconds["migrate"] = clock.seconds
        backend = db.engine.dialect.name
        with Stopwatch() as clock:
            people = _organisation(db)
            plans = _improvements(db, sizes, people)
            rows = _measurements(sizes, plans)
            _load_batches_and_rows(db, plans, rows)
            db.session.commit()
        seconds["load"] = clock.seconds
        if backend == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        # The rows went in by COPY, around the services: build their cell summaries through
        # the app's own function, as `gains estimates refresh-cells` does after a migration.
        from gains.services.estimates.cells import refresh_all_cells

        with Stopwatch() as clock:
            refresh_all_cells()
            db.session.commit()
        seconds["cells"] = clock.seconds
        n_estimates = n_reviews = 0
        if estimates != "none":
            from gains.services.estimates.recompute import recompute_all

            with Stopwatch() as clock:
                recomputed = recompute_all(per_improvement=(estimates == "all"))
                db.session.commit()
            seconds["estimates"] = clock.seconds
            n_estimates = sum(isinstance(d, dict) for d in recomputed.documents.values())
            with Stopwatch() as clock:
                n_reviews = _reviews(db, plans, people)
                db.session.commit()
            seconds["reviews"] = clock.seconds
        if backend == "postgresql":
            # A served database is vacuumed by autovacuum soon after a load like this one;
            # doing it here puts every benchmark on that steady state (hint bits set, the
            # visibility map current) instead of racing autovacuum while it measures.
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return Built(sizes, backend, len(plans), len(rows), n_estimates, n_reviews, seconds)


def _organisation(db) -> dict:
    from gains.models import Department, Team, User

    password_hash = generate_password_hash(PASSWORD)
    departments, teams, users = [], [], []
    for d in range(1, N_DEPARTMENTS + 1):
        departments.append({"id": d, "name": f"Bench department {d}", "code": f"BD{d:02d}"})
        for t in range(TEAMS_PER_DEPARTMENT):
            teams.append(
                {"id": (d - 1) * TEAMS_PER_DEPARTMENT + t + 1, "department_id": d, "name": f"T{t}"}
            )
    first_team = {d: (d - 1) * TEAMS_PER_DEPARTMENT + 1 for d in range(1, N_DEPARTMENTS + 1)}
    next_id = 1
    for d in range(1, N_DEPARTMENTS + 1):
        for role in ("manager", "member"):
            users.append(
                {
                    "id": next_id,
                    "email": f"{role}-{d}@bench.invalid",
                    "name": f"{role.title()} {d}",
                    "role": role,
                    "team_id": first_team[d],
                    "password_hash": password_hash,
                }
            )
            next_id += 1
    for role in ("treasury", "admin"):
        users.append(
            {
                "id": next_id,
                "email": f"{role}@bench.invalid",
                "name": role.title(),
                "role": role,
                "team_id": None,
                "password_hash": password_hash,
            }
        )
        next_id += 1
    db.session.execute(insert(Department), departments)
    db.session.execute(insert(Team), teams)
    db.session.execute(insert(User), users)
    _bump_sequences(db, {"departments": len(departments), "teams": len(teams), "users": next_id})
    return {
        "member": {d: 2 * (d - 1) + 2 for d in range(1, N_DEPARTMENTS + 1)},
        "manager": {d: 2 * (d - 1) + 1 for d in range(1, N_DEPARTMENTS + 1)},
    }


def _money_terms(kind: str, volume: int, per_unit: float, ranged: bool) -> dict:
    """The kind's appraisal defaults and, for three improvements in ten, ranges of -20 % to
    +25 % around the central volume and £ per unit, as teams enter them."""
    from gains.models import ImprovementKind
    from gains.models.improvement import APPRAISAL_DEFAULTS

    terms = asdict(APPRAISAL_DEFAULTS[ImprovementKind(kind)])
    if ranged:
        terms |= {
            "annual_volume_low": max(1, int(volume * 0.8)),
            "annual_volume_high": int(volume * 1.25),
            "value_per_unit_low_gbp": (Decimal(str(per_unit)) * Decimal("0.8")).quantize(
                Decimal("0.0001"), rounding=ROUND_UP
            ),
            "value_per_unit_high_gbp": (Decimal(str(per_unit)) * Decimal("1.25")).quantize(
                Decimal("0.0001"), rounding=ROUND_DOWN
            ),
        }
    return terms


def _improvements(db, sizes: Sizes, people: dict) -> pd.DataFrame:
    from gains.models import Improvement

    rng = np.random.default_rng(SEED)
    n = sizes.improvements
    ids = np.arange(1, n + 1)
    department = (ids - 1) % N_DEPARTMENTS + 1
    team = (
        (department - 1) * TEAMS_PER_DEPARTMENT + (ids // N_DEPARTMENTS) % TEAMS_PER_DEPARTMENT + 1
    )
    design = rng.choice(DESIGNS, size=n, p=DESIGN_WEIGHTS)
    status = rng.choice(STATUSES, size=n, p=STATUS_WEIGHTS)
    kind = np.where(rng.random(n) < 0.3, "no_extra_cost", "marginal_gain")
    pillar = rng.choice(PILLARS, size=n)
    direction = np.where(rng.random(n) < 0.6, "lower", "higher")
    go_live = pd.to_datetime("2024-04-01") + pd.to_timedelta(rng.integers(0, 800, n), unit="D")
    baseline = rng.uniform(5, 500, n).round(1)
    spread = (baseline * rng.uniform(0.05, 0.3, n)).round(2)
    effect = (spread * rng.normal(0.3, 0.4, n)).round(2)
    planned = np.where(rng.random(n) < 0.5, (spread * 0.3).round(2), np.nan)
    volume = rng.integers(1_000, 2_000_000, n)
    per_unit = rng.integers(1, 50_000, n) / 10_000
    cost = np.where(kind == "no_extra_cost", 0, rng.integers(0, 5_000_000, n))
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    titles, hypotheses, metrics = _words(n)
    records = []
    for i in range(n):
        decided = status[i] not in ("draft", "running")
        live = go_live[i].date()
        records.append(
            {
                "id": int(ids[i]),
                "department_id": int(department[i]),
                "team_id": int(team[i]),
                "created_by_id": people["member"][int(department[i])],
                "title": titles[i],
                "kind": str(kind[i]),
                "pillar": str(pillar[i]),
                "hypothesis": hypotheses[i],
                "metric_name": metrics[i],
                "metric_unit": "min",
                "direction": str(direction[i]),
                "unit_of_observation": "case",
                "scale": 1,
                "design": str(design[i]),
                "planned_sample_size": 100,
                "expected_effect": None if math.isnan(planned[i]) else float(planned[i]),
                "implementation_cost_pence": int(cost[i]),
                "annual_volume": int(volume[i]),
                "value_per_unit_gbp": Decimal(str(per_unit[i])),
                "cashable": bool(i % 3 == 0),
                **_money_terms(str(kind[i]), int(volume[i]), per_unit[i], ranged=i % 10 < 3),
                "go_live_on": live,
                "status": str(status[i]),
                "data_version": 0 if status[i] == "draft" else 1,
                "submitted_at": (
                    datetime.combine(
                        min(live + timedelta(weeks=17), TODAY), datetime.min.time()
                    ).replace(tzinfo=UTC)
                    if decided and status[i] != "withdrawn"
                    else None
                ),
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(Improvement), records)
    _bump_sequences(db, {"improvements": n})
    plans = pd.DataFrame(
        {
            "id": ids,
            "department": department,
            "design": design,
            "status": status,
            "go_live": go_live,
            "baseline": baseline,
            "spread": spread,
            "effect": effect,
        }
    )
    return plans


def _row_counts(sizes: Sizes, plans: pd.DataFrame, rng) -> np.ndarray:
    """Rows per improvement: drafts none, the others between about 0.4 and 1.6 × the mean."""
    has_data = (plans["status"] != "draft").to_numpy()
    weights = rng.uniform(0.4, 1.6, len(plans)) * has_data
    counts = np.floor(weights / weights.sum() * sizes.measurements).astype(int)
    counts[np.flatnonzero(has_data)[: sizes.measurements - counts.sum()]] += 1
    return counts


def _measurements(sizes: Sizes, plans: pd.DataFrame) -> pd.DataFrame:
    """Every row, vectorised: phase alternates, control rows every other pair (control-group
    design), units of four rows (two before, two after) for the paired design."""
    rng = np.random.default_rng(SEED + 1)
    counts = _row_counts(sizes, plans, rng)
    owner = np.repeat(np.arange(len(plans)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(counts.sum()) - starts
    design = plans["design"].to_numpy()[owner]
    after = position % 2 == 1
    control = (design == "control_group") & ((position // 2) % 2 == 1)
    paired = design == "paired"
    unit_number = position // 4
    unit_effect = rng.normal(0, 1, unit_number.max() + 1 if len(unit_number) else 1)
    spread = plans["spread"].to_numpy()[owner]
    value = (
        plans["baseline"].to_numpy()[owner]
        + after * plans["effect"].to_numpy()[owner] * ~control
        + control * spread * 0.2
        + paired * unit_effect[unit_number % len(unit_effect)] * spread
        + rng.normal(0, 1, len(owner)) * spread
    )
    value = np.where(rng.random(len(owner)) < 0.002, value * 4, value)  # a few far-out values
    days = np.where(
        after, rng.integers(0, 16 * 7, len(owner)), -rng.integers(1, 16 * 7, len(owner))
    )
    observed = plans["go_live"].to_numpy()[owner] + days.astype("timedelta64[D]")
    units = pd.Series(np.char.add("u", unit_number.astype(str)), dtype=object).where(paired, None)
    return pd.DataFrame(
        {
            "improvement_id": plans["id"].to_numpy()[owner],
            "batch_id": plans["id"].to_numpy()[owner],  # one batch per improvement, same id
            "phase": np.where(after, "after", "before"),
            "study_group": np.where(control, "control", "treatment"),
            "unit_ref": units,
            "observed_on": pd.to_datetime(observed).date,
            "value": np.round(value, 3),
        }
    )


def _load_batches_and_rows(db, plans: pd.DataFrame, rows: pd.DataFrame) -> None:
    from gains.models import UploadBatch

    counts = rows.groupby("batch_id").size()
    created = datetime(2026, 10, 1, tzinfo=UTC)
    batches = [
        {
            "id": int(improvement_id),
            "improvement_id": int(improvement_id),
            "created_by_id": 2 * (int(department) - 1) + 2,
            "source": "cli",
            "status": "active",
            "filename": "bench.csv",
            "row_count": int(counts[improvement_id]),
            "created_at": created,
            "confirmed_at": created,
        }
        for improvement_id, department in zip(plans["id"], plans["department"], strict=True)
        if improvement_id in counts.index
    ]
    db.session.execute(insert(UploadBatch), batches)
    _bump_sequences(db, {"upload_batches": len(plans)})
    db.session.flush()
    copy_rows(db, rows)


COLUMNS = ("improvement_id", "batch_id", "phase", "study_group", "unit_ref", "observed_on", "value")


def copy_rows(db, rows: pd.DataFrame) -> None:
    """Measurements through the database's bulk path, in the session's transaction."""
    connection = db.session.connection().connection  # the DB-API connection
    if db.engine.dialect.name == "postgresql":
        buffer = io.StringIO()
        rows.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N", columns=COLUMNS)
        with connection.cursor().copy(
            f"COPY measurements ({', '.join(COLUMNS)}) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        return
    cursor = connection.cursor()
    records = rows.assign(observed_on=rows["observed_on"].astype(str))[list(COLUMNS)]
    cursor.executemany(
        f"INSERT INTO measurements ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        records.itertuples(index=False, name=None),
    )


def _bump_sequences(db, tables: dict[str, int]) -> None:
    """Explicit ids were inserted: PostgreSQL's sequences must move past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table, highest in tables.items():
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": highest}
        )


def _reviews(db, plans: pd.DataFrame, people: dict) -> int:
    """One decision per decided improvement, as `reviews.decide` would have stored it."""
    from gains.models import Improvement, Review
    from gains.services.estimates.current import cached_estimates
    from gains.services.review.decisions import approval_columns

    decided = plans[plans["status"].isin(["approved", "rejected", "changes_requested"])]
    improvements = db.session.scalars(
        select(Improvement).where(Improvement.id.in_(decided["id"].tolist()))
    ).all()
    estimates = cached_estimates(improvements)
    reviews = []
    for improvement in improvements:
        decided_at = improvement.submitted_at + timedelta(days=9)
        reviewer = people["manager"][improvement.department_id]
        common = {
            "improvement_id": improvement.id,
            "reviewer_id": reviewer,
            "decided_at": decided_at,
            "data_version": improvement.data_version,
        }
        if improvement.status.value != "approved":
            reviews.append(
                {**common, "decision": improvement.status.value, "comment": "See the method."}
            )
            continue
        estimate = estimates.get(improvement.id)
        if estimate is None:  # no estimate (too few rows, or time series not computed)
            continue
        reviews.append(
            {**common, "decision": "approved", **approval_columns(improvement, estimate, None)}
        )
    if reviews:
        db.session.execute(insert(Review), reviews)
    return len(reviews)


def main() -> None:
    parse = parser("Build a benchmark database (SQLite file) to look at.")
    parse.add_argument("--sqlite", required=True, help="path of the SQLite file to create")
    args = parse.parse_args()
    sizes = sizes_from(args)
    log(f"building {sizes.label()} in {args.sqlite}")
    built = build_database(f"sqlite:///{args.sqlite}", sizes)
    print(asdict(built))


if __name__ == "__main__":
    main()
