"""The OpenAPI document (`/api/v1/openapi.json`) and a docs page rendered from it.

Both are public: they describe the API and hold no data. The page is server-rendered with
GOV.UK styles rather than Swagger UI, which would need a CDN or a bundled script and inline
styles that the strict CSP refuses.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from markupsafe import Markup, escape

from gains.api.problems import PROBLEM_TYPES
from gains.auth import public

blueprint = Blueprint("api_docs", __name__)

API_DESCRIPTION = (
    "Push measurements and pull estimates from other systems. Authenticate with a personal "
    "API token (Authorization: Bearer <token>), made on the API tokens page; a token "
    "sees and changes what its owner could on the web. Errors are RFC 9457 problem details."
)
METHODS = ("get", "post", "put", "patch", "delete")


INLINE_CODE = re.compile(r"`([^`]+)`")


@blueprint.app_template_filter("inline_code")
def inline_code(text: str | None) -> Markup:
    """OpenAPI descriptions are CommonMark; the docs page renders their `code` spans only."""
    return Markup(INLINE_CODE.sub(r"<code>\1</code>", str(escape(text or ""))))


def openapi_document() -> dict[str, Any]:
    return current_app.extensions["gains-api"].spec.to_dict()


@blueprint.get("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi_document())


def _schema_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return "list of " + schema["items"]["$ref"].rsplit("/", 1)[-1]
    return schema.get("type")


def _body_schema(container: dict[str, Any]) -> tuple[str | None, str | None]:
    for content_type, media in (container.get("content") or {}).items():
        return content_type, _schema_name(media.get("schema"))
    return None, None


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation in words: method, path, summary, parameters, body and responses."""
    found = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body_type, body_schema = _body_schema(operation.get("requestBody") or {})
            responses = []
            for status, response in operation.get("responses", {}).items():
                if "$ref" in response:
                    ref = response["$ref"].rsplit("/", 1)[-1]
                    response = document["components"]["responses"][ref]
                content_type, schema = _body_schema(response)
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "content_type": content_type,
                        "schema": schema,
                    }
                )
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or ["other"])[0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": shared + operation.get("parameters", []),
                    "body_type": body_type,
                    "body_schema": body_schema,
                    "responses": responses,
                }
            )
    return found


@blueprint.get("/docs")
@public
def docs():
    document = openapi_document()
    all_operations = operations(document)
    tags = [
        (tag, [op for op in all_operations if op["tag"] == tag["name"]])
        for tag in document.get("tags", [])
    ]
    return render_template(
        "api/docs.html",
        document=document,
        tags=tags,
        schemas=document.get("components", {}).get("schemas", {}),
        problem_types=PROBLEM_TYPES,
    )
