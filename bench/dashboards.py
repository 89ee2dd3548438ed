"""Dashboards under load: gunicorn serving Gains on 127.0.0.1 against the generated register.

The register (N improvements, M measurements, the estimate cache, approvals) is built in a
throw-away PostgreSQL (or SQLite with ``--backends sqlite``); gunicorn is started with the
project's own `gunicorn.conf.py` (2 × cores + 1 workers of 1 thread, unless
GUNICORN_WORKERS/THREADS say otherwise); 8 client threads, each with its own keep-alive
connection and a signed-in session cookie, send a fixed number of requests to each page in turn:

* the department dashboard (a manager, their department),
* the Treasury dashboard (Treasury, all departments),
* the improvement list with filters (Treasury: the whole register, filtered and sorted),
* an improvement page (a manager, improvements of every design in turn),
* similar improvements (a manager, five typed titles and hypotheses in turn; with it, the
  database's full-text search is timed in process against a naive `LIKE '%word%'` scan over
  the same rows, `bench/similar.py`).

Every response must be 200. Reported per page and overall: p50/p95/p99 latency and
throughput (requests per second of wall time while that page was loaded), and the first
request to each page on the fresh server, alone (the dashboards then compute their figures,
which later requests read from the figures cache until the data change: the cost a reader
pays after every write). ``--no-figures-cache`` runs the server with
``GAINS_FIGURES_CACHE=off``, so every dashboard request computes its figures.

`python -m bench.dashboards [--quick] [--requests 200] [--clients 8] [--pages list,similar]
[--no-figures-cache]`
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import similar
from bench.common import (
    BENCH_SECRET,
    ROOT,
    Stopwatch,
    backends_from,
    database_urls,
    emit,
    log,
    machine,
    parser,
    print_table,
    sizes_from,
)
from bench.generate import LOGINS, PASSWORD, build_database

TARGET_P95_MS = 100.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The app under gunicorn, as production runs it, on a free local port."""

    def __init__(self, url: str, figures_cache: bool = True) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")}
        env.update(
            GAINS_SECRET_KEY=BENCH_SECRET,
            GAINS_DATABASE_URL=url,
            GAINS_FIGURES_CACHE="on" if figures_cache else "off",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read()[-2000:]}")
            try:
                status = request(self.port, "GET", "/healthz")[0]
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 120 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def request(port: int, method: str, path: str, body=None, headers=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, response.getheader("Set-Cookie"), data
    finally:
        if own:
            connection.close()


def sign_in(port: int, email: str) -> str:
    """A session cookie for the account: the real form, with its CSRF token."""
    status, cookie, page = request(port, "GET", "/auth/sign-in")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or token is None or cookie is None:
        raise RuntimeError(f"sign-in page: {status}")
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1).decode(), "email": email, "password": PASSWORD}
    )
    status, signed, _ = request(
        port,
        "POST",
        "/auth/sign-in",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie.split(";")[0],
        },
    )
    if status != 303 or signed is None:
        raise RuntimeError(f"sign-in as {email} answered {status}")
    return signed.split(";")[0]


def load(port: int, paths: list[str], cookie: str, total: int, clients: int) -> dict:
    """`total` requests over `clients` threads (each its own connection); latencies in ms."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            path = paths[index % len(paths)]
            began = time.perf_counter()
            status, _, _ = request(
                port, "GET", path, headers={"Cookie": cookie}, connection=connection
            )
            mine.append((time.perf_counter() - began) * 1000)
            if status != 200:
                failures.append(f"{path}: {status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    with Stopwatch() as clock, ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[:3]}")
    return summary(latencies, clock.seconds)


def summary(latencies: list[float], seconds: float) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(ordered[-1], 1),
        "rps": round(len(ordered) / seconds, 1),
        "seconds": round(seconds, 2),
        "latencies": ordered,
    }


def pages(url: str) -> dict[str, tuple[str, list[str]]]:
    """Each page's signed-in role and the paths to rotate through."""
    from sqlalchemy import select

    from bench.common import make_app
    from gains.extensions import db
    from gains.models import Design, Improvement

    app = make_app(url)
    with app.app_context():
        improvement_paths = []
        for design in Design:
            ids = db.session.scalars(
                select(Improvement.id)
                .where(Improvement.department_id == 1, Improvement.design == design)
                .order_by(Improvement.id)
                .limit(5)
            ).all()
            improvement_paths += [f"/improvements/{i}" for i in ids]
        db.session.remove()
        db.engine.dispose()
    return {
        "department dashboard": ("manager", ["/dashboards/departments/1"]),
        "treasury dashboard": ("treasury", ["/dashboards/treasury"]),
        "improvement list (filtered)": (
            "treasury",
            [
                "/improvements/?status=running&kind=marginal_gain&sort=updated",
                "/improvements/?design=paired&pillar=engaging_users&page=2",
                "/improvements/?q=improvement+0001&status=approved",
            ],
        ),
        "improvement page": ("manager", improvement_paths),
        "similar improvements": ("manager", similar.page_paths()),
    }


# Short names for --pages, so one page can be measured without the others' minutes.
PAGE_NAMES = {
    "department": "department dashboard",
    "treasury": "treasury dashboard",
    "list": "improvement list (filtered)",
    "improvement": "improvement page",
    "similar": "similar improvements",
}


def measure(
    url: str,
    sizes,
    requests: int,
    clients: int,
    only: list[str] | None = None,
    figures_cache: bool = True,
) -> dict:
    built = build_database(url, sizes, estimates="all")
    log(f"{built.backend}: built {sizes.label()} in {sum(built.seconds.values()):.1f} s")
    plan = pages(url)
    if only:
        plan = {name: plan[name] for name in plan if name in only}
    search = similar.compare(url) if "similar improvements" in plan else None
    server = Gunicorn(url, figures_cache)
    try:
        cookies = {role: sign_in(server.port, LOGINS[role]) for role in ("manager", "treasury")}
        results = {}
        for name, (role, paths) in plan.items():
            first = load(server.port, paths[:1], cookies[role], 1, 1)["p50_ms"]
            load(server.port, paths, cookies[role], clients, clients)  # warm every worker
            results[name] = load(server.port, paths, cookies[role], requests, clients)
            results[name]["first_ms"] = first
            log(f"{name}: p95 {results[name]['p95_ms']} ms, {results[name]['rps']} rps")
    finally:
        server.stop()
    everything = [ms for r in results.values() for ms in r["latencies"]]
    overall = summary(everything, sum(r["seconds"] for r in results.values()))
    for r in [*results.values(), overall]:
        r.pop("latencies")
    return {
        "backend": built.backend,
        "sizes": sizes,
        "pages": results,
        "overall": overall,
        "search": search,
    }


def main() -> None:
    parse = parser(__doc__.splitlines()[0])
    parse.add_argument("--requests", type=int, help="requests per page (default 96; quick 24)")
    parse.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parse.add_argument(
        "--pages",
        help=f"comma-separated pages to load (default all): {', '.join(PAGE_NAMES)}",
    )
    parse.add_argument(
        "--no-figures-cache",
        action="store_true",
        help="serve with GAINS_FIGURES_CACHE=off: every dashboard request computes",
    )
    parse.set_defaults(backends="postgresql")
    args = parse.parse_args()
    sizes = sizes_from(args)
    requests = args.requests or (24 if args.quick else 96)
    backend = backends_from(args)[0]
    chosen = [name.strip() for name in (args.pages or "").split(",") if name.strip()]
    unknown = set(chosen) - set(PAGE_NAMES)
    if unknown:
        raise SystemExit(f"unknown page(s): {', '.join(sorted(unknown))}")
    only = [PAGE_NAMES[name] for name in chosen] or None
    with database_urls([backend], "bench_dashboards") as urls:
        result = measure(
            urls[backend], sizes, requests, args.clients, only, not args.no_figures_cache
        )
    rows = [
        [
            name,
            r.get("first_ms", ""),
            r["requests"],
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
            r["max_ms"],
            r["rps"],
        ]
        for name, r in [*result["pages"].items(), ("overall", result["overall"])]
    ]
    cache = "figures cache off" if args.no_figures_cache else "figures cache on"
    print_table(
        f"Pages under load: {args.clients} clients, {backend}, {sizes.label()}, {cache} (ms)",
        ["page", "first, alone", "requests", "p50", "p95", "p99", "max", "req/s"],
        rows,
    )
    if result["search"]:
        print_table(
            f"Similar improvements in process, {backend}, {sizes.label()} (ms per call)",
            ["way", "calls", "p50", "p95"],
            [[name, r["calls"], r["p50_ms"], r["p95_ms"]] for name, r in result["search"].items()],
        )
    overall = result["overall"]
    emit(
        {
            "bench": "dashboards",
            "backend": backend,
            "improvements": sizes.improvements,
            "measurements": sizes.measurements,
            "clients": args.clients,
            "figures_cache": not args.no_figures_cache,
            "p50_ms": overall["p50_ms"],
            "p95_ms": overall["p95_ms"],
            "p99_ms": overall["p99_ms"],
            "rps": overall["rps"],
            "target_p95_met": all(r["p95_ms"] < TARGET_P95_MS for r in result["pages"].values()),
            "pages": result["pages"],
            "similar_search": result["search"],
            "load_average": os.getloadavg(),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
