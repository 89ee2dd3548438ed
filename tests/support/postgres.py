"""A throw-away PostgreSQL server for the test run: started on a temporary directory and a
free port on 127.0.0.1, always stopped. PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` system user on a directory it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
DATABASE_ROLE = "gains"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or they could not start; the message says why."""


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ThrowawayPostgres:
    port: int = 0
    directory: Path | None = None
    startup_seconds: float = 0.0
    _as_user: list[str] = field(default_factory=list)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-800:]}"
            )
        return result

    def start(self) -> ThrowawayPostgres:
        began = time.perf_counter()
        initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
        if not initdb or not pg_ctl:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) not found: "
                "install them (Debian: apt-get install postgresql)"
            )
        self.directory = Path(tempfile.mkdtemp(prefix="gains-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL as"
                ) from None
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
        data = self.directory / "data"
        self._run(
            initdb,
            "-D",
            str(data),
            "-U",
            DATABASE_ROLE,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        self.port = _free_port()
        # Durability off: this server lives for one test run.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50"
        )
        self._run(
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.startup_seconds = time.perf_counter() - began
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{DATABASE_ROLE}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.directory is None:
            return
        pg_ctl = find_binary("pg_ctl")
        data = self.directory / "data"
        if pg_ctl and (data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None


def per_worker(name: str) -> str:
    """`name`, made unique to this pytest-xdist worker (`make test` runs the suite on several):
    workers that share one server (an external GAINS_TEST_POSTGRES_URL) must not share
    databases. Each worker starts a throw-away server of its own otherwise."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{name}_{worker}" if worker else name


def external_database(name: str) -> str:
    """A new, empty database `name` on the external server of GAINS_TEST_POSTGRES_URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["GAINS_TEST_POSTGRES_URL"])
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def fresh_database(request, name: str) -> str:
    """An empty PostgreSQL database of its own for a test that races committed transactions
    (the shared template's rolled-back transaction cannot be raced); skipped when the run
    has no PostgreSQL backend (SQLite allows one writer at a time, so it cannot race)."""
    import pytest

    chosen = request.config.getoption("backends").split(",")
    if "postgresql" not in chosen:
        pytest.skip("needs PostgreSQL: SQLite allows one writer at a time, so it cannot race")
    server = request.getfixturevalue("postgres_server")
    if server is not None:
        return server.create_database(name)
    return external_database(per_worker(name))
