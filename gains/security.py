"""Security headers on every response: HTML, JSON, errors and assets alike."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

# An SVG shown with <img> runs no script; its own policy lets matplotlib's inline styles apply.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def svg_response(svg: str) -> Response:
    """A chart drawn as SVG, under its own policy (every chart route answers with this)."""
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


def content_security_policy(nonce: str) -> str:
    # The strict policy checked against GOV.UK Frontend and htmx (docs/DESIGN.md "Front end").
    # The only inline script is the template's js-enabled line, allowed by its nonce.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    @app.before_request
    def _make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _add_headers(response: Response) -> Response:
        nonce = g.get("csp_nonce") or secrets.token_urlsafe(16)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if app.config.get("GAINS_ENV") == "production":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
