"""The reviewer's comment where the team looks first (issue 21, findability): at the top of
the improvement page, and in the home page's "Changes requested" task with its words."""

from __future__ import annotations

import re
from pathlib import Path

from gains.models import Decision
from gains.services.improvements import workflow
from gains.services.review.decisions import decide
from tests.support.factories import person, submitted_by
from tests.support.web import text_of

LONG = (
    "Please add the control group's figures for May and June, and say how the renewals were "
    "chosen for the new letter: the before period looks shorter than the after period, and "
    "the go-live date on the plan does not match the first after row. Then resubmit."
)


def _decided(session, decision: Decision, comment: str, title: str):
    improvement = submitted_by(session, person(session, "member"), title)
    decide(person(session, "manager"), improvement, decision, comment)
    session.commit()
    return improvement


def _top_of_page(html: str) -> str:
    """The page from its heading to the first estimate section: what the team sees first."""
    return html.split("<h1")[1].split('id="estimate"')[0]


def test_changes_requested_show_at_the_top_of_the_page_and_on_the_home_page(session, signed_in):
    improvement = _decided(session, Decision.CHANGES_REQUESTED, LONG, "Sent back")
    client = signed_in("member")
    page = client.get(f"/improvements/{improvement.id}").get_data(as_text=True)
    note = text_of(_top_of_page(page).split('id="review-note"')[1])
    review = improvement.reviews[-1]
    on = f"{review.decided_at.day} {review.decided_at:%B %Y}"
    assert f"Changes requested by {review.reviewer.name} on {on}" in note
    assert f"“{LONG}”" in note and "resubmit it for review" in note

    home = client.get("/").get_data(as_text=True)
    group = home.split('id="tasks-changes_requested"')[1].split("</section>")[0]
    item = group.split(f'href="/improvements/{improvement.id}"')[1].split("</li>")[0]
    words = text_of(item)
    assert f"{review.reviewer.name}, {on}: “{LONG[:150]}" in words
    assert LONG[-40:] not in words  # the long comment is cut short, with a link to it all
    assert f'href="/improvements/{improvement.id}#review-note"' in item
    assert "Read the whole comment" in words


def test_a_short_comment_is_shown_whole_without_a_link(session, signed_in):
    improvement = _decided(session, Decision.CHANGES_REQUESTED, "Add June.", "Short note")
    home = signed_in("member").get("/").get_data(as_text=True)
    item = home.split(f'href="/improvements/{improvement.id}"')[1].split("</li>")[0]
    assert "“Add June.”" in text_of(item) and "#review-note" not in item


def test_a_rejection_and_an_approval_comment_show_and_go_once_answered(session, signed_in):
    rejected = _decided(session, Decision.REJECTED, "No comparison possible.", "Rejected one")
    approved = _decided(session, Decision.APPROVED, "Well measured.", "Approved one")
    silent = _decided(session, Decision.APPROVED, "", "Approved quietly")
    client = signed_in("member")
    top = _top_of_page(client.get(f"/improvements/{rejected.id}").get_data(as_text=True))
    assert "govuk-notification-banner" in top and "“No comparison possible.”" in top
    assert re.search(r"Rejected by [^<]+ on ", top)
    top = _top_of_page(client.get(f"/improvements/{approved.id}").get_data(as_text=True))
    assert "govuk-inset-text" in top and "“Well measured.”" in top
    top = _top_of_page(client.get(f"/improvements/{silent.id}").get_data(as_text=True))
    assert 'id="review-note"' not in top

    # Resubmitted: the request has been answered; the history below still keeps it.
    sent_back = _decided(session, Decision.CHANGES_REQUESTED, "Add June.", "Answered")
    workflow.submit(person(session, "member"), sent_back)
    session.commit()
    page = client.get(f"/improvements/{sent_back.id}").get_data(as_text=True)
    assert 'id="review-note"' not in _top_of_page(page) and "“Add June.”" in page


def test_a_comment_keeps_its_line_breaks_where_it_is_shown_whole(session, signed_in):
    points = "Three things:\n1. Add June.\n2. Say how renewals were chosen.\n3. Resubmit."
    improvement = _decided(session, Decision.CHANGES_REQUESTED, points, "Points")
    page = signed_in("member").get(f"/improvements/{improvement.id}").get_data(as_text=True)
    note = page.split('id="review-note"')[1].split("</p>")[0]
    # As written, line breaks and all (the banner macro indents its lines; pre-line drops
    # the spaces at a line's start).
    shown = re.sub(r"\n +", "\n", note.split('app-multiline">')[1])
    assert shown == f"“{points}”"
    history = page.split('<h2 class="govuk-heading-m">Reviews</h2>')[1].split("</ul>")[0]
    assert '<li class="app-multiline">' in history and points in history
    css = (Path(__file__).parents[2] / "gains/static/app/app.css").read_text()
    assert ".app-multiline { white-space: pre-line; }" in css
