"""The JSON API at /api/v1: flask-smorest blueprints over the same services as the web.

`init_app` binds the `Api` (OpenAPI 3 generated from the marshmallow schemas), registers the
resource blueprints and the docs blueprint. Authentication is by bearer token only
(`gains.auth`), so the blueprints are exempt from CSRF; errors are problem details
(`gains.api.problems`, dispatched from `gains.errors`).
"""

from __future__ import annotations

import http

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_smorest import Api
    from flask_smorest.utils import prepare_response

    from gains.api import (
        chart_notes,
        cycles,
        docs,
        estimates,
        ideas,
        improvements,
        measurements,
        organisation,
        savings,
    )
    from gains.api.json_body import refuse_unbounded_json
    from gains.api.problems import API_PREFIX, PROBLEM_JSON
    from gains.api.schemas import ProblemSchema
    from gains.extensions import csrf

    class GainsApi(Api):
        """Errors are documented as problem+json, and handled by `gains.errors` (which
        keeps the web's HTML pages), not by flask-smorest's own JSON handler."""

        ERROR_SCHEMA = ProblemSchema

        def _register_error_handlers(self):
            pass

        def _register_responses(self):
            for status in http.HTTPStatus:
                response = {"description": status.phrase}
                if not (100 <= status < 200) and status not in (204, 304):
                    response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
                self.spec.components.response(status.name, response, lazy=True)
            response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    app.config.setdefault("API_TITLE", "Gains API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    # The document and its docs page are served by `gains.api.docs`, not flask-smorest's UI.
    app.config.setdefault("OPENAPI_URL_PREFIX", None)
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": docs.API_DESCRIPTION},
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal API token made on the API tokens page.",
                    }
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api = GainsApi(app)
    for module in (
        organisation,
        improvements,
        measurements,
        chart_notes,
        cycles,
        estimates,
        savings,
        ideas,
    ):
        csrf.exempt(module.blueprint)
        api.register_blueprint(module.blueprint, url_prefix=API_PREFIX)
    app.before_request(refuse_unbounded_json)
    app.extensions["gains-api"] = api
    app.register_blueprint(docs.blueprint, url_prefix=API_PREFIX)
