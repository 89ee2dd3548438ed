"""The bounds as the web applies them: every form's text fields refuse control characters,
the registration form's numbers and dates stop at their bounds (nothing written, what was
typed kept), and the filters that read a query string never turn NUL into a server error."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField

import gains
from gains import bounds
from gains.bounds import TextBound
from gains.extensions import db
from gains.form_fields import BoundedForm
from gains.models import Improvement, Measurement, Status, Team
from tests.support.bounds import CONTROL_CHARACTERS, FAR_DATES, inside, outside, typed_in_form
from tests.support.improvement_forms import form_data
from tests.support.lock_table import form_field

# Every test here posts or reads form_data(), which names the demo member's team.
pytestmark = pytest.mark.usefixtures("member_team")


def _every_form_class() -> list[type[FlaskForm]]:
    for module in pkgutil.iter_modules(gains.__path__):
        if module.ispkg and importlib.util.find_spec(f"gains.{module.name}.forms"):
            importlib.import_module(f"gains.{module.name}.forms")
    found, waiting = [], [FlaskForm]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            waiting.append(subclass)
            if subclass.__module__.startswith("gains.") and subclass is not BoundedForm:
                found.append(subclass)
    return found


def _text_field_names(form_class: type[FlaskForm]) -> list[str]:
    return [
        name
        for name in dir(form_class)
        if hasattr(unbound := getattr(form_class, name), "_formfield")
        and issubclass(unbound.field_class, StringField)
        and not issubclass(unbound.field_class, PasswordField)
    ]


FORMS = _every_form_class()
WITH_TEXT = [form for form in FORMS if _text_field_names(form)]


def test_every_form_of_gains_is_bounded():
    assert len(FORMS) >= 20
    assert [form.__name__ for form in FORMS if not issubclass(form, BoundedForm)] == []


@pytest.mark.parametrize("form_class", WITH_TEXT, ids=lambda form: form.__name__)
def test_every_text_field_refuses_control_characters(app_without_database, form_class):
    names = _text_field_names(form_class)
    with app_without_database.test_request_context("/", method="POST"):
        for character in CONTROL_CHARACTERS:
            # Posted under each field's HTML name (the cost in pence is "implementation_cost").
            typed_in = {getattr(form_class, name).name or name: f"a{character}b" for name in names}
            form = form_class(formdata=MultiDict(typed_in), meta={"csrf": False})
            for name in names:
                field = form[name]
                field.validate(form)
                assert any("control characters" in e or "must be a" in e for e in field.errors), (
                    name,
                    field.errors,
                )


# --- registering an improvement ------------------------------------------------------------------

LIMITED = {
    form_field(name): bound
    for name, bound in bounds.PLAN_BOUNDS.items()
    if not isinstance(bound, TextBound)
}


def _typed(name: str, value):
    if name in ("go_live_on", "ended_on"):
        return [str(value.day), str(value.month), f"{value.year:04d}"]
    return typed_in_form(LIMITED[name], value)


def _registered(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Improvement).where(Improvement.title == title)
        )


@pytest.mark.parametrize("edge", [0, 1], ids=["lowest", "highest"])
def test_registration_takes_every_bound_at_its_edge(app, signed_in, edge):
    values = {name: inside(bound)[edge] for name, bound in LIMITED.items()}
    if edge == 0:
        values["ended_on"] = None  # an end must come after the go-live
    else:
        values["go_live_on"] -= timedelta(days=1)
    changes = {name: _typed(name, v) for name, v in values.items() if v is not None}
    title = f"At the edges {edge}"
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(title=title, **changes))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert _registered(app, title) == 1


def _past_edges() -> list[dict]:
    """One registration per way past the bounds: every limited field at once."""
    ways = []
    for position in range(len(outside(bounds.SCALE))):
        ways.append(
            {
                name: _typed(name, outside(bound)[min(position, len(outside(bound)) - 1)])
                for name, bound in LIMITED.items()
            }
        )
    ways.append({"go_live_on": _typed("go_live_on", FAR_DATES[1])})
    return ways


@pytest.mark.parametrize("changes", _past_edges(), ids=lambda c: str(c.get("annual_volume")))
def test_registration_past_any_bound_writes_nothing_and_keeps_what_was_typed(
    app, signed_in, changes
):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(title="Past the edges", **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _registered(app, "Past the edges") == 0
    for name in changes:
        # The error summary links to the field (a date input's day box, which can take focus).
        target = f"{name}-day" if name in ("go_live_on", "ended_on") else name
        assert f'href="#{target}"' in html, name
        assert LIMITED[name].message in html or "after the go-live" in html, name
        if isinstance(changes[name], str):
            assert f'value="{changes[name]}"' in html, name


def test_a_nul_in_the_title_is_refused_on_the_page(app, signed_in):
    client = signed_in("member")
    response = client.post("/improvements/new", data=form_data(title="Letter\x00"))
    assert response.status_code == 422
    assert "Remove the invisible control characters from the title" in response.get_data(
        as_text=True
    )


# --- measurements ----------------------------------------------------------------------------


def _running_improvement(app) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Improvement.id)
            .join(Team, Team.id == Improvement.team_id)
            .where(Team.name == "Benefit renewals", Improvement.status == Status.RUNNING)
            .order_by(Improvement.id)
        ).first()


def _rows(app, improvement_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(Measurement)
            .where(Measurement.improvement_id == improvement_id)
        )


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("value", "1e308", bounds.MEASUREMENT_VALUE.message),
        ("value", "-1000000000000.5", bounds.MEASUREMENT_VALUE.message),
        ("observed_on", "0001-01-01", bounds.DATE.message),
        ("observed_on", "31/12/9999", bounds.DATE.message),
        ("unit_ref", "case\x001", "Remove the invisible control characters"),
    ],
)
def test_a_measurement_past_its_bounds_is_refused_and_kept(app, signed_in, field, text, message):
    improvement = _running_improvement(app)
    before = _rows(app, improvement)
    client = signed_in("member")
    data = {"new-phase": "after", "new-value": "12", "new-observed_on": "2026-05-01"}
    data[f"new-{field}"] = text
    response = client.post(f"/improvements/{improvement}/measurements", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert message in html
    assert _rows(app, improvement) == before


def test_a_csv_upload_past_the_bounds_is_refused(app, signed_in):
    from io import BytesIO

    improvement = _running_improvement(app)
    before = _rows(app, improvement)
    content = b"phase,value,date\nbefore,1e308,2026-01-01\nafter,2,9999-12-31\n"
    response = signed_in("member").post(
        f"/improvements/{improvement}/measurements/upload",
        data={"file": (BytesIO(content), "rows.csv")},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert bounds.MEASUREMENT_VALUE.message in html and bounds.DATE.message in html
    assert _rows(app, improvement) == before


# --- query strings ---------------------------------------------------------------------------

NUL = quote("\x00")


@pytest.mark.parametrize(
    "path",
    [
        f"/register/?q={NUL}",
        f"/register/?q=letter{NUL}",
        f"/register/data.csv?q={NUL}",
        f"/register/data.json?q={NUL}",
        f"/register/feed.atom?q={NUL}",
    ],
)
def test_a_nul_in_a_public_filter_matches_nothing(client, path):
    response = client.get(path)
    assert response.status_code == 200
    if path.startswith("/register/?"):
        assert "Remove the invisible control characters from the search" in response.get_data(
            as_text=True
        )


def test_a_nul_in_the_register_search_matches_nothing(signed_in):
    response = signed_in("manager").get(f"/improvements/?q={NUL}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Remove the invisible control characters" in html


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "01/01/1989"])
def test_audit_filter_dates_past_the_bounds_are_refused(signed_in, day):
    response = signed_in("admin").get(f"/admin/audit?date_from={day}&date_to={day}")
    assert response.status_code == 422
    assert bounds.DATE.message in response.get_data(as_text=True)


def test_a_nul_in_the_sign_in_email_is_refused(client):
    response = client.post(
        "/auth/sign-in", data={"email": "member\x00@example.org", "password": "x" * 12}
    )
    assert response.status_code == 422
    assert "Remove the invisible control characters from the email address" in (
        response.get_data(as_text=True)
    )
