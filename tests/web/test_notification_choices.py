"""Each person chooses which emails they get on their account page (issue 23): a plain form,
saved as opt-outs, read when each email is written."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import Role
from gains.models.notification import Notification
from gains.services.notifications import kinds, outbox
from tests.support.factories import person
from tests.web.test_admin import invite, link_in


def test_the_account_page_links_to_the_choices(app, signed_in):
    html = signed_in("member").get("/account/").get_data(as_text=True)
    assert 'href="/account/notifications"' in html


def test_a_person_unticks_and_ticks_again(app, signed_in):
    client = signed_in("member")
    page = client.get("/account/notifications").get_data(as_text=True)
    offered = kinds.choosable_for(Role.MEMBER)
    assert page.count('type="checkbox"') == len(offered) == 5  # not managers' or Treasury's
    assert page.count("checked") == len(offered)  # everything, until they choose
    assert "sends no email at the moment" in page  # email is off in the tests' settings
    wanted = [kinds.APPROVED, kinds.REJECTED]
    saved = client.post("/account/notifications", data={"wanted": wanted})
    assert saved.status_code == 303
    with app.app_context():
        member = person(db.session, "member")
        assert outbox.opted_out(member.id) == set(offered) - set(wanted)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Your choice of emails is saved" in page and page.count("checked") == 2
    client.post("/account/notifications", data={"wanted": list(offered)})
    with app.app_context():
        assert outbox.opted_out(person(db.session, "member").id) == set()


def test_a_kind_that_does_not_exist_is_refused_and_nothing_is_saved(app, signed_in):
    client = signed_in("member")
    refused = client.post("/account/notifications", data={"wanted": ["everything"]})
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.get_data(as_text=True)
    with app.app_context():
        assert outbox.opted_out(person(db.session, "member").id) == set()


def test_with_email_on_an_invitation_is_written_and_the_page_says_so(app, signed_in, monkeypatch):
    settings = dict(app.config["GAINS_EMAIL"])
    settings |= {
        "EMAIL_TRANSPORT": "smtp",
        "EMAIL_BASE_URL": "https://gains.example.gov.uk",
        "EMAIL_FROM": "gains@example.gov.uk",
        "SMTP_HOST": "127.0.0.1",
    }
    monkeypatch.setitem(app.config, "GAINS_EMAIL", settings)
    client = signed_in("admin")
    html = invite(client).get_data(as_text=True)
    assert "Gains is also emailing Ada Lovelace" in html
    assert "/account/set-password/" in link_in(html)  # the link to copy stays
    with app.app_context():
        row = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
        assert (row.kind, row.recipient.email) == (kinds.INVITATION, "ada.lovelace@example.org")


def test_each_role_is_offered_the_emails_it_can_get(signed_in):
    treasury = signed_in("treasury").get("/account/notifications").get_data(as_text=True)
    assert treasury.count('type="checkbox"') == 1 and "weekly summary" in treasury


def test_an_administrator_has_nothing_to_choose(signed_in):
    admin = signed_in("admin").get("/account/notifications").get_data(as_text=True)
    assert 'type="checkbox"' not in admin and "no emails to choose from" in admin


def test_a_kind_the_role_does_not_get_is_refused(app, signed_in):
    refused = signed_in("member").post(
        "/account/notifications", data={"wanted": [kinds.WEEKLY_SUMMARY]}
    )
    assert refused.status_code == 422
