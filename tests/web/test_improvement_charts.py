"""An improvement's charts on its page and as SVG."""

from datetime import date
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import String, select, update

from gains.extensions import db
from gains.models import Department, Design, Improvement, Publication
from gains.services.improvements.chart_notes import add_note
from tests.support.factories import person


def improvement_id(app, title):
    with app.app_context():
        return db.session.scalars(select(Improvement.id).where(Improvement.title == title)).one()


def test_time_series_page_has_both_charts_with_tables(app, signed_in):
    client = signed_in("admin")
    ident = improvement_id(app, "Same-day discharge checklist")
    html = client.get(f"/improvements/{ident}").get_data(as_text=True)
    assert f"/improvements/{ident}/charts/distributions.svg" in html
    assert f"/improvements/{ident}/charts/xmr.svg" in html
    assert f"/improvements/{ident}/charts/run.svg" in html
    assert "The numbers behind the XmR chart" in html and "(go-live)" in html
    assert "The numbers behind the run chart" in html and 'id="run-chart-reading"' in html
    for kind in ("distributions", "xmr", "run"):
        response = client.get(f"/improvements/{ident}/charts/{kind}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "<desc" in response.get_data(as_text=True)
        again = client.get(
            f"/improvements/{ident}/charts/{kind}.svg",
            headers={"If-None-Match": response.headers["ETag"]},
        )
        assert again.status_code == 304


def test_charts_follow_the_scope_and_need_data(app, signed_in):
    client = signed_in("member")  # Benefit renewals team, Work and Pensions
    other = improvement_id(app, "Same-day discharge checklist")
    assert client.get(f"/improvements/{other}/charts/xmr.svg").status_code == 404
    draft = improvement_id(app, "Date fields accept any common format")
    assert 'id="charts"' not in client.get(f"/improvements/{draft}").get_data(as_text=True)
    assert client.get(f"/improvements/{draft}/charts/distributions.svg").status_code == 404
    assert client.get(f"/improvements/{draft}/charts/pie.svg").status_code == 404


def test_the_review_page_shows_the_charts(app, signed_in):
    client = signed_in("manager")
    ident = improvement_id(app, "Save and return on the renewal form")
    html = client.get(f"/reviews/{ident}").get_data(as_text=True)
    assert f"/improvements/{ident}/charts/distributions.svg" in html


def test_the_charts_panel_redraws_for_htmx_with_the_data_version_in_each_url(app, signed_in):
    client = signed_in("admin")
    ident = improvement_id(app, "Same-day discharge checklist")
    with app.app_context():
        version = db.session.get(Improvement, ident).data_version
    fragment = client.get(f"/improvements/{ident}/charts", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and html.startswith('<div id="charts-panel"')
    assert "<h1" not in html and 'hx-trigger="measurements-changed from:body"' in html
    assert f"/improvements/{ident}/charts/distributions.svg?v={version}" in html
    assert f"/improvements/{ident}/charts/xmr.svg?v={version}" in html
    plain = client.get(f"/improvements/{ident}/charts")
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(f"/improvements/{ident}#charts")


# matplotlib reads `$…$` as maths markup and `\`, `^`, `_`, `{` inside it; an unbalanced or
# bad expression raised while drawing. Charts must show every text as typed.
ODD_TEXTS = [
    "$",
    "$x^$, \\ and a^b_c {d}",
    "£ per $\\alpha$ claim",
    "$_$ and ${$",
    "😀 זמן המתנה",  # emoji and right-to-left
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_every_chart_draws_any_title_and_unit_as_plain_text(app, client, signed_in, text):
    with app.app_context():
        db.session.execute(
            update(Improvement).values(
                title=Improvement.id.cast(String) + " " + text, metric_unit=text[:50]
            )
        )
        db.session.commit()
        time_series = db.session.scalars(
            select(Improvement.id).where(Improvement.design == Design.TIME_SERIES)
        ).first()
        published = db.session.scalars(select(Publication.improvement_id)).first()
        departments = db.session.scalars(select(Department.id)).all()
    # Anonymous first: the public chart needs no sign-in.
    public = client.get(f"/register/improvements/{published}/chart.svg")
    assert public.status_code == 200
    admin = signed_in("admin")
    with app.app_context():
        note = add_note(
            person(db.session, "admin"),
            db.session.get(Improvement, time_series),
            date(2025, 6, 2),
            text,
        )
        db.session.commit()
        assert note.text == text.strip()
    urls = [
        f"/improvements/{time_series}/charts/xmr.svg",
        f"/improvements/{time_series}/charts/run.svg",
        f"/improvements/{time_series}/charts/distributions.svg",
        f"/improvements/{published}/charts/distributions.svg",
        "/dashboards/treasury/cumulative.svg",
        *(f"/dashboards/departments/{ident}/forest.svg" for ident in departments),
    ]
    for url in urls:
        response = admin.get(url)
        assert response.status_code == 200, url
    for kind in ("xmr", "run"):
        svg = admin.get(f"/improvements/{time_series}/charts/{kind}.svg").get_data(as_text=True)
        assert f">{escape(text)}</text>" in svg  # the unit on the y axis, as typed: not maths
