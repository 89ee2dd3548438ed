"""The `gains` console script, run as a real process: start-up refusals are one clear line
with exit status 2; commands work against a real database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

GAINS = Path(sys.executable).with_name("gains")


def run_gains(*args: str, env: dict[str, str] | None = None, timeout: int = 120):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")}
    environ.update(env or {})
    return subprocess.run(
        [str(GAINS), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )


def assert_refused(result, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gains: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_run_refuses_without_a_secret(tmp_path):
    result = run_gains("run", env={"GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert_refused(result, "GAINS_SECRET_KEY is not set")


def test_run_refuses_an_unreachable_database():
    result = run_gains(
        "run",
        env={
            "GAINS_SECRET_KEY": "k" * 32,
            "GAINS_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        },
    )
    assert_refused(result, "Cannot reach the database", "GAINS_DATABASE_URL")


def test_run_refuses_a_database_without_schema(tmp_path):
    result = run_gains(
        "run",
        env={"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/e.db"},
    )
    assert_refused(result, "has no Gains schema", "gains db upgrade")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"GAINS_ENV": "staging"}, "GAINS_ENV='staging' is not valid"),
        ({"GAINS_SECRET": "x"}, "GAINS_SECRET is not a Gains setting"),
    ],
)
def test_bad_settings_refuse_every_app_command(env, fragment):
    assert_refused(run_gains("db", "upgrade", env=env), fragment)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"GAINS_PASSWORD_SIGN_IN": "off"}, "GAINS_PASSWORD_SIGN_IN=off needs organisation"),
        (
            {"GAINS_OIDC_ISSUER": "https://accounts.google.com", "GAINS_OIDC_CLIENT_ID": "c"},
            "set GAINS_OIDC_CLIENT_SECRET, GAINS_OIDC_EMAIL_DOMAINS as well",
        ),
    ],
    ids=["passwords off without a provider", "half-configured provider"],
)
def test_check_reports_a_sign_in_nobody_could_use(env, fragment):
    assert_refused(run_gains("check", env={"GAINS_SECRET_KEY": "k" * 32, **env}), fragment)


def test_gunicorn_entry_point_refuses_without_a_secret(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")}
    environ["GAINS_DATABASE_URL"] = f"sqlite:///{tmp_path}/x.db"
    result = subprocess.run(
        [sys.executable, "-c", "import gains.wsgi"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "GAINS_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_web_entry_point_loads_what_the_pages_use_before_gunicorn_forks(tmp_path):
    """Commands import the heavy statistics and charting lazily; gunicorn's preloaded app
    holds them already, so its workers share them and no request pays for the import."""
    env = {"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/w.db"}
    assert run_gains("db", "upgrade", env=env).returncode == 0
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")}
    code = (
        "import sys\n"
        "import gains.wsgi\n"
        "heavy = ('scipy.stats', 'scipy.optimize', 'statsmodels', 'matplotlib', 'openpyxl')\n"
        "print(sorted(name for name in heavy if name not in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**environ, **env},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


# Seven `gains` processes in a row, two of them seeding the demo: on a loaded 2-core runner
# that has taken more than the suite's default 120 s.
@pytest.mark.timeout(360)
def test_upgrade_seed_check_and_reseed_on_sqlite(tmp_path):
    env = {"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    assert run_gains("db", "upgrade", env=env).returncode == 0
    seeded = run_gains("seed-demo", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded 4 departments" in seeded.stdout
    assert "member@example.org" in seeded.stdout
    check = run_gains("check", env=env)
    assert (check.returncode, check.stdout.strip()) == (0, "Ready.")

    again = run_gains("seed-demo", env=env)
    assert again.returncode == 1
    assert "not empty, so nothing was seeded" in again.stderr
    quiet = run_gains("seed-demo", "--if-empty", env=env)
    assert (quiet.returncode, "skipped" in quiet.stdout) == (0, True)
    # With email on, the demo's submissions and decisions email nobody.
    email_on = {
        "GAINS_EMAIL_TRANSPORT": "smtp",
        "GAINS_EMAIL_BASE_URL": "https://gains.example",
        "GAINS_EMAIL_FROM": "gains@example.org",
        "GAINS_SMTP_HOST": "127.0.0.1",
    }
    reset = run_gains("seed-demo", "--reset", env=env | email_on)
    assert reset.returncode == 0, reset.stderr
    assert "Seeded 4 departments" in reset.stdout
    with closing(sqlite3.connect(tmp_path / "demo.db")) as demo:
        assert demo.execute("SELECT count(*) FROM notifications").fetchone() == (0,)

    recomputed = run_gains("estimates", "recompute-all", "--json", env=env)
    assert recomputed.returncode == 0, recomputed.stderr
    summary = json.loads(recomputed.stdout)
    assert summary["estimates"] > 0 and sum(summary["from_aggregates"].values()) > 0
    assert summary["improvements"] == summary["estimates"] + summary["without_estimate"]

    refreshed = run_gains("estimates", "refresh-cells", env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "Rebuilt the cell summaries of" in refreshed.stdout


def test_create_user_makes_an_admin_who_can_sign_in(tmp_path):
    env = {"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/u.db"}
    assert run_gains("db", "upgrade", env=env).returncode == 0
    made = run_gains(
        "create-user",
        "--email",
        "First.Admin@Example.org",
        "--name",
        "First Admin",
        "--password",
        "a-long-password",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "Created administrator first.admin@example.org" in made.stdout
    short = run_gains(
        "create-user", "--email", "b@example.org", "--name", "B", "--password", "short", env=env
    )
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr


def test_create_user_can_print_an_invitation_link_instead_of_a_password(tmp_path):
    env = {"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/i.db"}
    assert run_gains("db", "upgrade", env=env).returncode == 0
    made = run_gains(
        "create-user",
        "--email",
        "first.admin@example.org",
        "--name",
        "First Admin",
        "--invite",
        "--site-url",
        "https://gains.example/",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "no email is sent" in made.stdout
    link = made.stdout.strip().splitlines()[-1]
    assert link.startswith("https://gains.example/account/set-password/")
    token = link.rsplit("/", 1)[1]

    from gains.extensions import db
    from tests.conftest import make_test_app

    app = make_test_app(env["GAINS_DATABASE_URL"], SECRET_KEY=env["GAINS_SECRET_KEY"])
    with app.app_context():
        from gains.services.people.account_links import user_for_link

        user, purpose = user_for_link(token, secret_key=env["GAINS_SECRET_KEY"])
        assert (user.email, user.password_hash, purpose) == (
            "first.admin@example.org",
            None,
            "invite",
        )
        db.engine.dispose()
    both = run_gains(
        "create-user",
        "--email",
        "c@example.org",
        "--name",
        "C",
        "--invite",
        "--password",
        "a-long-password",
        env=env,
    )
    assert both.returncode == 2 and "not both" in both.stderr


def test_stats_needs_no_database_and_no_secret(tmp_path):
    env = {"GAINS_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    result = run_gains(
        "stats", "power", "--effect-size", "0.5", "--power", "0.8", "--json", env=env
    )
    assert result.returncode == 0, result.stderr
    assert '"n_per_group"' in result.stdout
