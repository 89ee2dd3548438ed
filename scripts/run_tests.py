"""`make test`: ruff, then the whole pytest suite on SQLite and PostgreSQL, with stage times.

The PostgreSQL server is started and stopped by the test session itself (tests/conftest.py),
so `pytest` alone works the same way (in one process; here on one worker per core). With
CI=true a missing server or browser is a failure, never a skip; pytest's "no tests ran"
(exit 5) is a failure too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# One pytest-xdist worker per core, each with its own throw-away PostgreSQL server and SQLite
# files (tests/conftest.py). Work stealing: the tests differ in length by a thousand times
# (a browser journey, a pure function), so a worker that runs dry takes from the other.
PARALLEL = ["--numprocesses", "auto", "--dist", "worksteal"]


def stage(name: str, command: list[str]) -> int:
    print(f"\n=== {name}: {' '.join(command)}", flush=True)
    began = time.perf_counter()
    code = subprocess.call(command, cwd=ROOT)
    print(f"=== {name}: exit {code} after {time.perf_counter() - began:.1f} s", flush=True)
    return code


def main() -> int:
    began = time.perf_counter()
    extra = sys.argv[1:]
    results = {
        "ruff check": stage("ruff check", [str(BIN / "ruff"), "check", "."]),
        "ruff format": stage("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
    }
    pytest_code = stage("pytest", [str(BIN / "pytest"), *PARALLEL, *extra])
    if pytest_code == 5:
        print("pytest collected no tests: that is a failure here.", flush=True)
    results["pytest"] = pytest_code
    total = time.perf_counter() - began
    failed = [name for name, code in results.items() if code != 0]
    print(f"\nAll stages took {total:.1f} s.", flush=True)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("All stages passed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
