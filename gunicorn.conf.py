"""gunicorn settings for Gains: `gunicorn -c gunicorn.conf.py` (see README "Production")."""

import os

from gains.startup import gunicorn_workers

# Load the app in the master before forking, so a start-up refusal (missing secret,
# unreachable database, schema not current) stops gunicorn at once with its one-line reason.
preload_app = True
wsgi_app = "gains.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Pages are CPU-bound Python (SQLAlchemy rows, Jinja): threads in one process take turns on
# its interpreter lock, so processes serve concurrent readers better, and beyond one process
# per core (plus one to use a core while another waits on the database) extra processes only
# add switching. Measured with `bench.dashboards` on 2 cores and 8 clients (docs/BENCHMARKS.md):
# the slowest page's p95 was 72 ms with 2 workers, 88 with 3, 95 with 4 and 5; 3 workers x 2
# threads was the worst. Default: cores + 1 single-threaded workers. The app is preloaded
# (with what its pages import, gains/wsgi.py), so workers share its memory until they write.
# GUNICORN_WORKERS, else that default: gains.startup.gunicorn_workers, which `gains check`
# reads too to warn about per-worker rate limits.
workers = gunicorn_workers()
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    """Once, in the master, before serving: say so if the limits would count per worker."""
    from gains.startup import rate_limits_warning

    warning = rate_limits_warning(server.app.wsgi(), server.cfg.workers)
    if warning:
        server.log.warning(warning)
