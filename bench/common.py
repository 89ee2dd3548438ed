"""What every benchmark shares: sizes, throw-away databases, the machine, tables and JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = {"improvements": 10_000, "measurements": 1_000_000}
QUICK = {"improvements": 300, "measurements": 30_000}
BENCH_SECRET = "bench-" + "s" * 40  # a throw-away app secret for a throw-away database


@dataclass(frozen=True)
class Sizes:
    improvements: int
    measurements: int

    def label(self) -> str:
        return f"N={self.improvements:,} M={self.measurements:,}"


def parser(description: str) -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(description=description)
    parse.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parse.add_argument("--improvements", type=int, help="N (default 10,000; quick 300)")
    parse.add_argument("--measurements", type=int, help="M (default 1,000,000; quick 30,000)")
    parse.add_argument(
        "--backends", default="postgresql,sqlite", help="comma-separated: postgresql,sqlite"
    )
    return parse


def sizes_from(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else FULL
    return Sizes(
        improvements=args.improvements or base["improvements"],
        measurements=args.measurements or base["measurements"],
    )


def backends_from(args: argparse.Namespace) -> list[str]:
    chosen = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(chosen) - {"postgresql", "sqlite"}
    if unknown:
        raise SystemExit(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return chosen


@contextlib.contextmanager
def throwaway_postgres() -> Iterator:
    """A PostgreSQL server for this run only (the test suite's), always stopped."""
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import ThrowawayPostgres

    server = ThrowawayPostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def database_urls(backends: list[str], name: str) -> Iterator[dict[str, str]]:
    """A fresh empty database per backend: {backend: SQLAlchemy URL}."""
    with contextlib.ExitStack() as stack:
        urls = {}
        if "sqlite" in backends:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="gains-bench-"))
            urls["sqlite"] = f"sqlite:///{directory}/{name}.db"
        if "postgresql" in backends:
            server = stack.enter_context(throwaway_postgres())
            urls["postgresql"] = server.create_database(name)
        yield urls


def make_app(url: str):
    from gains import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": BENCH_SECRET})


def machine() -> dict[str, str]:
    """CPU model, cores and memory: the figures mean little without them."""
    info = {"python": platform.python_version(), "platform": platform.platform()}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core"):
                info[key.strip()] = value.strip()
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return info


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


class Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._began


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header] + [[_fmt(value) for value in row] for row in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  "
            + "  ".join(str(value).rjust(width) for value, width in zip(row, widths, strict=True))
        )
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def _fmt(value) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) < 1e-3:
            return f"{value:.1e}"
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def emit(result: dict) -> None:
    """The last line of every benchmark: one JSON object with its figures."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=False, default=str), flush=True)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# A benchmark stopped with SIGTERM still runs its `finally` blocks (throw-away servers stop).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
