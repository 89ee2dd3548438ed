"""OpenID Connect providers for the tests, each on 127.0.0.1 at a random port.

`real_provider()` runs the `oidc-provider-mock` package (an Authlib authorisation server): the
success path goes through it. `StandIn` is a small provider that misbehaves on purpose, serving
an ID token with a wrong audience, an expiry in the past or a signature by a key its JWKS does
not hold, which a well-behaved provider never does.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from secrets import token_urlsafe
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "gains-tests"
CLIENT_SECRET = "not-a-real-secret"
DOMAIN = "example.org"  # the demo accounts' domain (tests/conftest.py DEMO_LOGINS)


@contextmanager
def serving(wsgi_app) -> Iterator[str]:
    """Serve `wsgi_app` on a thread at 127.0.0.1 and a free port; yield its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def real_provider() -> Iterator[str]:
    # The package imports Authlib's deprecated `authlib.jose` (its own concern, not ours).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import oidc_provider_mock

        provider = oidc_provider_mock.app(require_nonce=True)
    with serving(provider) as url:
        yield url


def set_person(provider_url: str, sub: str, **claims) -> None:
    """What the real provider will say about `sub` (its `PUT /users/<sub>`)."""
    requests.put(f"{provider_url}/users/{sub}", json=claims, timeout=5).raise_for_status()


def approve(authorize_url: str, sub: str) -> str:
    """Sign in at the real provider as `sub` (its form's button); return where it sends the
    browser back: Gains's callback with the code and state."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:300]
    return response.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class StandIn:
    """A provider that signs what a test tells it to. `claims_change` alters the ID token's
    claims; `sign_with_stranger` signs it with a key the JWKS does not publish."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "published"})
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "published"})
        self.claims_change: dict = {}
        self.sign_with_stranger = False
        self.email = "member@example.org"
        self._nonces: dict[str, str] = {}
        self.url = ""
        self.app = self._build()

    def _build(self) -> Flask:
        app = Flask(__name__)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.url,
                authorization_endpoint=f"{self.url}/authorize",
                token_endpoint=f"{self.url}/token",
                jwks_uri=f"{self.url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            code = token_urlsafe(16)
            self._nonces[code] = request.args["nonce"]
            query = urlencode({"code": code, "state": request.args["state"]})
            return redirect(f"{request.args['redirect_uri']}?{query}")

        @app.post("/token")
        def token():
            now = int(time.time())
            claims = {
                "iss": self.url,
                "sub": "stand-in-person",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": self._nonces.pop(request.form["code"]),
                "email": self.email,
                "email_verified": True,
                **self.claims_change,
            }
            key = self.stranger if self.sign_with_stranger else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "published"}, claims, key)
            return jsonify(access_token="stand-in", token_type="Bearer", id_token=id_token)

        return app

    @contextmanager
    def running(self) -> Iterator[str]:
        with serving(self.app) as url:
            self.url = url
            yield url
