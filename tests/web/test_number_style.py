"""Every demo page, as anonymous and each role, writes numbers and dates in the one number
style (gains/numbers.py, decision 0040): the visible text has no hyphen-minus before a
digit, no ISO date, no "per per", no "1 ... match", no "All 1" and no integer of 4 or more
digits without thousands separators (years and references aside).

Visible text is what a person reads: not inputs' values, scripts, styles, code or pre (the API
documentation's machine examples live there), nor addresses. The pages are the phone-width
walk's (every GET route that answers with a page, with ids from the demo register)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.browser.every_page import ROLES, page_addresses
from tests.conftest import DEMO_LOGINS, sign_in

HIDDEN_TAGS = {"script", "style", "code", "pre", "textarea", "template"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
PROBLEMS = {
    "hyphen-minus before a digit": re.compile(r"(?<![\w\-–−/])-\d"),
    "ISO date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "per per": re.compile(r"\bper per\b", re.IGNORECASE),
    "one thing with a plural verb": re.compile(r"(?<![\d,.])\b1 (?:[a-z]+ ){0,3}match\b"),
    "all of one": re.compile(r"\bAll 1\b"),
    # 5 or more digits; or 4 that cannot be a year (years 1900 to 2199 are written plain).
    "number without separators": re.compile(
        r"(?<![\w.,:/#−-])(?:\d{5,}|(?!19|2[01])\d{4})(?![\w,]|\.\d)"
    ),
}
# Text a person types or copies as written (a reference, a file's name) is not a number.
# So is a record's id in a link's hidden words ("Edit measurement 37664"), a standard's number
# ("RFC 9457", "ISO 8601") and a decision record's ("decision 0035").
NOT_NUMBERS = re.compile(
    r"\b[A-Z]{2,}-\d+\b|\b[\w-]+\.(?:csv|xlsx|json)\b"
    r"|\b(?:measurement|batch|RFC|ISO|decision) \d+\b"
)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif tag not in VOID_TAGS:
            self.chunks.append(" ")

    def handle_endtag(self, tag) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden -= 1
        self.chunks.append(" ")

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.chunks.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join("".join(parser.chunks).split())


def problems_in(text: str) -> list[str]:
    """Each break of the number style in `text`, with the words around it."""
    text = NOT_NUMBERS.sub(" ", text)
    found = []
    for name, pattern in PROBLEMS.items():
        for match in pattern.finditer(text):
            found.append(f"{name}: …{text[max(0, match.start() - 40) : match.end() + 25]}…")
    return found


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("effect -2.3 (95% CI 3.4 to 1.2)", "hyphen-minus before a digit"),
        ("Added 2026-12-03", "ISO date"),
        ("£0.90 per per form", "per per"),
        ("1 published improvement match.", "one thing with a plural verb"),
        ("All 1 row", "all of one"),
        ("At most 1000 rows", "number without separators"),
        ("a saving of £616491", "number without separators"),
    ],
)
def test_the_checks_find_each_break(text, problem):
    assert [found.split(":")[0] for found in problems_in(text)] == [problem]


@pytest.mark.parametrize(
    "text",
    [
        "−2.3 (between −3.4 and −1.2)",
        "3 December 2026 at 14:05",
        "£0.90 per form, 1 published improvement matches",
        "1,000 rows in 2025 to 2026, 2025-26, weeks 1-4",
        "The 1 row; reference GN-00123; file data-2026.csv; 0.000123",
    ],
)
def test_the_checks_pass_the_style(text):
    assert problems_in(text) == []


@pytest.mark.first_backend_only
def test_every_page_writes_numbers_in_the_one_style(app, db):
    paths = [address.path for address in page_addresses(app)]
    found: dict[str, list[str]] = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            assert sign_in(client, DEMO_LOGINS[role]).status_code == 303
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500:
                found.setdefault(f"{response.status_code} from the server", []).append(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            for problem in problems_in(visible_text(html)):
                found.setdefault(problem, []).append(f"{role} {path}")
    report = [f"{problem}  ({len(where)}: {where[0]})" for problem, where in found.items()]
    assert not report, "\n".join(sorted(report))
