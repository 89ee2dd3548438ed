"""Forms and links as a browser finds them in a page, and the routes they lead to.

The fuzzers discover what to post from the pages themselves (every `<form>` a role is shown),
not from a hand-kept list, so a new form is fuzzed as soon as a page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, file, password, email ...
    value: str = ""  # as the page filled it in (the checked radio, the selected option)
    options: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # the values of same-named inputs

    @property
    def is_date(self) -> bool:
        return len(self.parts) == 3


@dataclass
class Form:
    action: str  # a path, query string included
    method: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)

    def __repr__(self) -> str:  # short, for Hypothesis' report of a failing example
        return f"Form({self.method} {self.action} {sorted(self.fields)})"

    @property
    def signature(self) -> tuple:
        return (self.method, urlsplit(self.action).path, tuple(sorted(self.fields)))


class _PageParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        elif tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = Form(
                action=action,
                method=(a.get("method") or "get").upper(),
                enctype=a.get("enctype") or "application/x-www-form-urlencoded",
            )
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_selected = "selected" in a
            self._option_text = ""
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            known = self._form.fields.get(a["name"])
            if kind in ("radio", "checkbox"):
                known = known or self._form.fields.setdefault(a["name"], Field(a["name"], kind))
                known.options.append(a.get("value", "on"))
                if "checked" in a:
                    known.value = a.get("value", "on")
                return
            if known is not None and known.kind == kind:
                # Several inputs of one name: a GOV.UK date (day, month, year all named
                # after the field) posts a list.
                known.parts.append(a.get("value", ""))
                return
            self._form.fields[a["name"]] = Field(a["name"], kind, a.get("value", ""))
            self._form.fields[a["name"]].parts.append(a.get("value", ""))
        elif tag == "textarea":
            self._form.fields[a["name"]] = Field(a["name"], "textarea")
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields[a["name"]] = self._select

    def handle_data(self, data: str) -> None:
        if self._option_value is None and self._select is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else self._option_text
            self._select.options.append(value.strip())
            if self._option_selected:
                self._select.value = value.strip()
            self._option_value = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def parse_page(page_url: str, html: str) -> tuple[list[Form], list[str]]:
    """The forms and the link targets (absolute paths with query) of one HTML page."""
    parser = _PageParser(page_url)
    parser.feed(html)
    return parser.forms, parser.links


def local_path(url: str) -> str | None:
    """The path and query of a link to this site, or None for another site."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def match_route(app: Flask, path: str, method: str) -> tuple[Rule, dict[str, Any]] | None:
    """The rule a request would reach, and its URL values; None for no route."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, values = adapter.match(urlsplit(path).path, method=method, return_rule=True)
    except HTTPException:
        return None
    return rule, values


def fill_rule(rule: Rule, values: dict[str, Any]) -> str | None:
    """The rule's path with its arguments taken from `values` by name; None if one is missing."""
    if not rule.arguments <= values.keys():
        return None
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
