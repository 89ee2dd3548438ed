"""The gunicorn entry point: `gunicorn 'gains.wsgi:app'`.

Refuses to start, with one line saying what to set, when the app is not ready (secret,
database, schema), instead of serving errors.
"""

import sys

from gains import create_app
from gains.config import ConfigError
from gains.startup import StartupError, check_ready, import_served_modules

try:
    app = create_app()
    check_ready(app)
except (ConfigError, StartupError) as error:
    print(f"gains: {error}", file=sys.stderr)
    sys.exit(2)
import_served_modules()  # before gunicorn forks its workers: one shared copy
