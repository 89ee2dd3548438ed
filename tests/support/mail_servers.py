"""Real receivers for the notification tests: an SMTP server (aiosmtpd) and a stand-in for
GOV.UK Notify's email endpoint, both on 127.0.0.1, each keeping what it received and what a
well-behaved receiver would keep (one message per Message-ID or reference)."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage as Message

import jwt
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.received: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Message]:
        return self.inbox.received

    def kept(self) -> list[Message]:
        """What a receiver that drops a Message-ID it has seen before keeps."""
        seen: dict[str, Message] = {}
        for message in self.received:
            seen.setdefault(message["Message-ID"], message)
        return list(seen.values())


class NotifyStandIn:
    """POST /v2/notifications/email as GOV.UK Notify answers it, after checking the request's
    JWT as Notify does: HS256, signed with the key's secret, `iss` the service id, fresh."""

    def __init__(self) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"gains_test-{self.service_id}-{self.secret}"
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    def _app(self, environ, start_response):
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.method != "POST" or request.path != "/v2/notifications/email":
            return Response(status=404)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"], "verify_iat": True},
            )
        except jwt.PyJWTError as error:
            self.refused.append(str(error))
            return _json(403, {"errors": [{"error": "AuthError", "message": str(error)}]})
        if scheme != "Bearer" or claims["iss"] != self.service_id:
            self.refused.append("wrong issuer")
            return _json(403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]})
        body = request.get_json()
        self.received.append(body)
        return _json(201, {"id": str(uuid.uuid4()), "reference": body.get("reference")})

    def kept(self) -> list[dict]:
        """One notification per reference, as a receiver that honours references keeps."""
        seen: dict[str, dict] = {}
        for body in self.received:
            seen.setdefault(body["reference"], body)
        return list(seen.values())


def _json(status: int, payload: dict) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")
