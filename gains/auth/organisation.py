"""Organisation sign-in: Authlib's Flask client for the deployment's OpenID Connect provider.

Discovery reads the issuer's `.well-known/openid-configuration` (on first use, not at start-up:
creating the app does no I/O). The client asks for the authorisation code with PKCE (S256),
and Authlib keeps `state`, `nonce` and the code verifier in the session until the callback.
`authorize_access_token` then checks `state` against the session, swaps the code (sending the
verifier), and `parse_id_token` verifies the ID token's signature against the provider's JWKS
and its `exp`, `iat` and `nonce` claims, and `iss` and `aud` as `claims_options` asks; each
failure raises (tests/web/test_organisation_sign_in.py tries each).
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError

from gains.config import organisation_sign_in_configured

CLIENT_NAME = "organisation"
# Everything that means "the provider's answer cannot be trusted or was not received":
# a state that is not this browser's, an error the provider returned, an ID token whose
# signature or claims fail, or the provider not answering.
FAILURES = (
    OAuthError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    RuntimeError,  # Authlib's word for a discovery document without `jwks_uri`
)
# The provider not answering, as against answering wrongly: the person can only wait.
UNREACHABLE = (requests.RequestException,)
# How long any one call to the provider (discovery, keys, the code's exchange) may take: a
# provider that hangs must not hold a gunicorn worker until gunicorn kills it.
TIMEOUT_SECONDS = 10


def init_app(app: Flask) -> None:
    if not organisation_sign_in_configured(app.config):
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["GAINS_OIDC_CLIENT_ID"],
        client_secret=app.config["GAINS_OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["GAINS_OIDC_ISSUER"] + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )
    app.extensions["gains_oidc"] = oauth


def claims_options(provider: Any) -> dict[str, Any]:
    """What the ID token's `iss` and `aud` must be. Authlib checks `iss` against discovery
    by default but leaves `aud` to its `azp` rule, which accepts a token for another client
    that names ours as `azp`: so both are required here (OpenID Connect Core 3.1.3.7, 2-3)."""
    return {
        "iss": {"essential": True, "value": provider.load_server_metadata()["issuer"]},
        "aud": {"essential": True, "value": provider.client_id},
    }


def client() -> Any | None:
    """The provider's client, or None when this deployment has no organisation sign-in."""
    oauth = current_app.extensions.get("gains_oidc")
    return getattr(oauth, CLIENT_NAME) if oauth is not None else None


def end_session_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """The provider's sign-out address for this ID token, when its discovery document names
    one (`end_session_endpoint`, OpenID Connect RP-Initiated Logout); None otherwise."""
    provider = client()
    if provider is None:
        return None
    try:
        if not provider.load_server_metadata().get("end_session_endpoint"):
            return None
        return provider.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token
        )["url"]
    except FAILURES:
        return None
