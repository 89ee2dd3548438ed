"""gunicorn settings for Gains: `gunicorn -c gunicorn.conf.py` (see README "Production")."""

import os

# Load the app in the master before forking, so a start-up refusal (missing secret,
# unreachable database, schema not current) stops gunicorn at once with its one-line reason.
preload_app = True
wsgi_app = "gains.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Pages are CPU-bound Python (SQLAlchemy rows, Jinja): threads in one process take turns on
# its interpreter lock, so processes serve concurrent readers better. Measured with
# `bench.dashboards` on 2 cores and 8 clients (docs/BENCHMARKS.md): 3 workers x 2 threads gave
# a p95 of 166-310 ms per page, 4-5 workers x 1 thread 97-153 ms. Gunicorn's rule of thumb,
# 2 x cores + 1 single-threaded workers, is the default; the app is preloaded, so workers
# share its memory until they write to it.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
