"""The register list and an improvement's page, scoped to who is asking."""

import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Improvement, Status, Team


def one(app, *criteria) -> tuple[int, str]:
    with app.app_context():
        improvement = db.session.scalars(
            select(Improvement)
            .join(Team)
            .join(Department)
            .where(*criteria)
            .order_by(Improvement.id)
        ).first()
        return improvement.id, improvement.title


def test_member_reads_own_team_and_not_others(app, signed_in):
    client = signed_in("member")
    own_id, own_title = one(app, Team.name == "Benefit renewals")
    colleague_id, _ = one(app, Team.name == "Casework")
    other_id, _ = one(app, Department.code == "REV")
    page = client.get(f"/improvements/{own_id}")
    assert page.status_code == 200
    assert own_title in page.get_data(as_text=True)
    assert client.get(f"/improvements/{colleague_id}").status_code == 404
    assert client.get(f"/improvements/{other_id}").status_code == 404


def test_manager_reads_the_department_only(app, signed_in):
    client = signed_in("manager")
    colleague_id, title = one(app, Team.name == "Casework")
    other_id, _ = one(app, Department.code == "HLT")
    assert title in client.get(f"/improvements/{colleague_id}").get_data(as_text=True)
    assert client.get(f"/improvements/{other_id}").status_code == 404


def test_treasury_reads_every_department(app, signed_in):
    client = signed_in("treasury")
    for code in ("REV", "HLT", "WKP", "CTY"):
        improvement_id, _ = one(app, Department.code == code)
        assert client.get(f"/improvements/{improvement_id}").status_code == 200
    listing = client.get("/improvements/").get_data(as_text=True)
    with app.app_context():
        total = len(db.session.scalars(select(Improvement)).all())
    assert f"{total} improvements." in listing


def test_improvement_page_shows_database_summaries(app, signed_in):
    client = signed_in("member")
    improvement_id, _ = one(
        app, Team.name == "Benefit renewals", Improvement.status == Status.APPROVED
    )
    html = client.get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert "Active measurements by phase and group" in html
    assert "Standard deviation" in html


def test_list_filters_by_status_and_rejects_nonsense(app, signed_in):
    client = signed_in("admin")
    drafts = client.get("/improvements/?status=draft").get_data(as_text=True)
    with app.app_context():
        draft_count = len(
            db.session.scalars(select(Improvement).where(Improvement.status == Status.DRAFT)).all()
        )
    assert f"{draft_count} improvements match." in drafts
    everything = client.get("/improvements/?status=nonsense&page=-4")
    assert everything.status_code == 200


def test_missing_improvement_is_a_designed_404(signed_in):
    response = signed_in("admin").get("/improvements/999999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "0", "-3", " 7x"])
def test_a_filter_id_that_cannot_be_a_record_means_any(signed_in, value):
    """A mistyped or hostile id in the URL is "any", never a server error."""
    client = signed_in("manager")
    for path in ("/improvements/", "/reviews/"):
        for name in ("department", "team"):
            response = client.get(path, query_string={name: value})
            assert response.status_code == 200, (path, name, value)


def test_the_annual_saving_is_said_to_be_before_the_one_off_cost(app, signed_in):
    """Issue 17: "gain ÷ 1 × 410,000 a year × £0.45, less a one-off cost of £3,500" read as
    net while the figure beside it is the gross annual saving."""
    improvement_id, _ = one(
        app, Team.name == "Benefit renewals", Improvement.status == Status.APPROVED
    )
    with app.app_context():
        cost_pence = db.session.get(Improvement, improvement_id).implementation_cost_pence
    assert cost_pence > 0
    html = signed_in("member").get(f"/improvements/{improvement_id}").get_data(as_text=True)
    assert "less a one-off cost" not in html
    assert "a year before the one-off cost" in html
    cost_row = html.split('id="estimate-one-off-cost"')[1].split("</div>")[0]
    assert f"£{cost_pence // 100:,}, deducted once at go-live" in cost_row
