"""Gains: measure which small public-service improvements work, and what they save."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from gains.config import build_flask_config, check_sign_in, read_environment

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. No I/O happens here: no database connection, no file written.

    `config` overrides the settings read from `GAINS_*` environment variables (tests pass
    `TESTING` and a database URL this way). Readiness (secret present, database reachable
    and migrated) is checked by `gains.startup.check_ready`, called by `gains run` and the
    gunicorn entry point.
    """
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder="static",
        static_url_path="/assets",  # govuk-frontend's CSS asks for /assets/fonts/...
        instance_path=str(REPO_ROOT / "instance"),
    )
    app.config.update(build_flask_config(read_environment(), app.instance_path))
    if config:
        app.config.update(config)
    check_sign_in(app.config)
    logging.getLogger("gains").setLevel(app.config["LOG_LEVEL"])

    register_extensions(app)
    register_templating(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_rate_limits(app)
    return app


def register_extensions(app: Flask) -> None:
    from gains import auth, database, figures_cache
    from gains.auth import organisation
    from gains.extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    database.configure_engines(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    auth.configure_login(login_manager)
    organisation.init_app(app)
    figures_cache.init_app(app)
    auth.require_sign_in(app)


def register_templating(app: Flask) -> None:
    from gains import templating

    templating.init_app(app)


def register_url_converters(app: Flask) -> None:
    from gains import routing

    routing.init_app(app)


def register_blueprints(app: Flask) -> None:
    from gains import api
    from gains.account.views import blueprint as account_blueprint
    from gains.admin.views import blueprint as admin_blueprint
    from gains.api_tokens.views import blueprint as api_tokens_blueprint
    from gains.audit.views import blueprint as audit_blueprint
    from gains.auth.views import blueprint as auth_blueprint
    from gains.dashboards import blueprint as dashboards_blueprint
    from gains.dashboards import treasury, views  # noqa: F401 (their routes are on it)
    from gains.ideas import blueprint as ideas_blueprint
    from gains.ideas import views as idea_views  # noqa: F401 (its routes are on it)

    # Their routes are on the improvements blueprint.
    from gains.improvements import adoption, chart_notes, cycles, similar, transitions  # noqa: F401
    from gains.improvements import blueprint as improvements_blueprint
    from gains.improvements import views as improvement_views  # noqa: F401 (likewise)
    from gains.main.views import blueprint as main_blueprint
    from gains.measurements.views import blueprint as measurements_blueprint
    from gains.public.views import blueprint as public_blueprint
    from gains.publication.views import blueprint as publication_blueprint
    from gains.reviews.views import blueprint as reviews_blueprint

    app.register_blueprint(main_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(improvements_blueprint)
    app.register_blueprint(ideas_blueprint)
    app.register_blueprint(reviews_blueprint)
    app.register_blueprint(dashboards_blueprint)
    app.register_blueprint(measurements_blueprint)
    app.register_blueprint(public_blueprint)
    app.register_blueprint(publication_blueprint)
    app.register_blueprint(api_tokens_blueprint)
    app.register_blueprint(account_blueprint)
    app.register_blueprint(admin_blueprint)
    app.register_blueprint(audit_blueprint)
    api.init_app(app)


def register_rate_limits(app: Flask) -> None:
    from gains import ratelimit

    ratelimit.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from gains import errors

    errors.init_app(app)


def register_security_headers(app: Flask) -> None:
    from gains import security

    security.init_app(app)
