"""gunicorn settings for Gains: `gunicorn -c gunicorn.conf.py` (see README "Production")."""

import os

# Load the app in the master before forking, so a start-up refusal (missing secret,
# unreachable database, schema not current) stops gunicorn at once with its one-line reason.
preload_app = True
wsgi_app = "gains.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 60
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
