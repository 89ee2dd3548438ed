"""Each person chooses which emails they get on their account page (issue 23): a plain form,
saved as opt-outs, read when each email is written."""

from __future__ import annotations

from gains.extensions import db
from gains.services.notifications import kinds, outbox
from tests.support.factories import person


def test_the_account_page_links_to_the_choices(app, signed_in):
    html = signed_in("member").get("/account/").get_data(as_text=True)
    assert 'href="/account/notifications"' in html


def test_a_person_unticks_and_ticks_again(app, signed_in):
    client = signed_in("member")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count('type="checkbox"') == len(kinds.CHOOSABLE)
    assert page.count("checked") == len(kinds.CHOOSABLE)  # everything, until they choose
    assert "sends no email at the moment" in page  # email is off in the tests' settings
    wanted = [kinds.APPROVED, kinds.REJECTED]
    saved = client.post("/account/notifications", data={"wanted": wanted})
    assert saved.status_code == 303
    with app.app_context():
        member = person(db.session, "member")
        assert outbox.opted_out(member.id) == set(kinds.CHOOSABLE) - set(wanted)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Your choice of emails is saved" in page and page.count("checked") == 2
    client.post("/account/notifications", data={"wanted": list(kinds.CHOOSABLE)})
    with app.app_context():
        assert outbox.opted_out(person(db.session, "member").id) == set()


def test_a_kind_that_does_not_exist_is_refused_and_nothing_is_saved(app, signed_in):
    client = signed_in("member")
    refused = client.post("/account/notifications", data={"wanted": ["everything"]})
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.get_data(as_text=True)
    with app.app_context():
        assert outbox.opted_out(person(db.session, "member").id) == set()
