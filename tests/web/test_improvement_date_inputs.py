"""The GOV.UK date inputs of the improvement forms, posted with parts missing or too many.

Each case was a 500: the widget re-drew the three boxes from however many values came."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Improvement
from tests.support.improvement_forms import form_data

# Every test here posts or reads form_data(), which names the demo member's team.
pytestmark = pytest.mark.usefixtures("member_team")


def registered(app) -> Improvement | None:
    with app.app_context():
        return db.session.scalars(
            select(Improvement).where(Improvement.title == "Shorter renewal letter")
        ).first()


@pytest.mark.parametrize(
    ("parts", "message", "box"),
    [
        (["3"], "Enter the go-live date as a day, a month and a year", "day"),
        (["3", "8"], "Enter the go-live date as a day, a month and a year", "day"),
        (["3", "8", "2026", "1"], "Enter the go-live date as a day, a month and a year", "day"),
        (["", "8", "2026"], "Go-live date must include a day", "day"),
        (["3", "", ""], "Go-live date must include a month and a year", "month"),
        (["3", "8", ""], "Go-live date must include a year", "year"),
    ],
)
def test_a_date_with_parts_missing_is_a_form_error(app, signed_in, parts, message, box):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(go_live_on=parts))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The error summary links to the box to fix first, a field its script can focus.
    assert message in html and f'href="#go_live_on-{box}"' in html
    assert f'id="go_live_on-{box}"' in html
    assert html.count('name="go_live_on"') == 3  # the three boxes, drawn again
    assert registered(app) is None


@pytest.mark.parametrize("parts", [["1"], ["1", "", "2027"]])
def test_the_optional_end_date_with_parts_missing_is_a_form_error(app, signed_in, parts):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(ended_on=parts))
    assert response.status_code == 422
    assert "Ended on" in response.get_data(as_text=True)
    assert registered(app) is None


@pytest.mark.parametrize("posted", ["absent", "blank"])
def test_no_date_parts_at_all_is_no_date(app, signed_in, posted):
    data = form_data()
    if posted == "absent":
        del data["go_live_on"], data["ended_on"]
    else:
        data["go_live_on"] = data["ended_on"] = ["", "", ""]
    client = signed_in("member")
    assert client.post("/improvements/new", data=data).status_code == 303
    improvement = registered(app)
    assert improvement.go_live_on is None and improvement.ended_on is None
    # With another field wrong, the form comes back with its empty date boxes.
    data["title"] = ""
    again = client.post("/improvements/new", data=data)
    assert again.status_code == 422 and "Enter a title" in again.get_data(as_text=True)
