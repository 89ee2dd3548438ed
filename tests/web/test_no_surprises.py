"""No surprises (issue 21): a warning before a change reopens review or unpublishes, and a
confirmation page before start, submit, resubmit, withdraw and delete."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from gains.models import AuditEvent, BatchSource, Decision, Measurement, Status
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from gains.services.public.publication import is_public, publish
from gains.services.review.decisions import decide
from tests.support.factories import person, plan, rows, start_with_data
from tests.support.web import text_of

REOPENS = "sends this approved improvement back to review"
UNPUBLISHES = "takes it off the public register"


def _improvement(session, state: str):
    """The demo member's improvement in `state`: draft, running, approved or published."""
    member = person(session, "member")
    improvement = workflow.create_improvement(member, member.team, plan(title=f"Surprise {state}"))
    session.flush()
    if state != "draft":
        start_with_data(
            member,
            improvement,
            [12, 11, 13, 12, 14, 11],
            [9, 8, 10, 9, 8, 10],
            submit=state in ("approved", "published"),
        )
    if state in ("approved", "published"):
        decide(person(session, "manager"), improvement, Decision.APPROVED, "")
    if state == "published":
        publish(person(session, "manager"), improvement, "Renewals take less time.")
    session.commit()
    return improvement


def _pages_that_change(improvement) -> list[str]:
    base = f"/improvements/{improvement.id}"
    measurement = improvement.batches[0].measurements[0].id
    return [
        base,
        f"{base}/measurements",
        f"{base}/measurements/{measurement}/edit",
        f"{base}/measurements/{measurement}/delete",
        f"{base}/measurements/upload",
        f"{base}/amend/hypothesis",
    ]


@pytest.mark.parametrize(
    ("state", "warned", "unpublished"),
    [("running", False, False), ("approved", True, False), ("published", True, True)],
)
def test_the_warning_shows_before_a_change_only_when_it_would_reopen(
    session, signed_in, state, warned, unpublished
):
    improvement = _improvement(session, state)
    assert is_public(improvement) is unpublished
    client = signed_in("member")
    for url in _pages_that_change(improvement):
        response = client.get(url)
        assert response.status_code == 200, url
        page = text_of(response.get_data(as_text=True))
        assert (REOPENS in page) is warned, url
        assert (UNPUBLISHES in page) is unpublished, url


def test_the_warning_is_true_a_row_reopens_and_unpublishes(session, signed_in):
    improvement = _improvement(session, "published")
    client = signed_in("member")
    row = {"new-phase": "after", "new-group": "treatment", "new-value": "7.5"}
    assert client.post(f"/improvements/{improvement.id}/measurements", data=row).status_code == 303
    session.refresh(improvement)
    assert improvement.status is Status.SUBMITTED and not is_public(improvement)
    # Now it is in review: nothing more to lose, so no warning.
    page = text_of(client.get(f"/improvements/{improvement.id}").get_data(as_text=True))
    assert REOPENS not in page


def test_a_pending_upload_warns_before_it_is_confirmed(session, signed_in):
    improvement = _improvement(session, "published")
    batch = record_batch(
        person(session, "member"),
        improvement,
        rows("after", [7]),
        source=BatchSource.CSV,
        pending=True,
    )
    session.commit()
    page = signed_in("member").get(f"/improvements/{improvement.id}/batches/{batch.id}")
    text = text_of(page.get_data(as_text=True))
    assert f"Confirming this upload {REOPENS} and {UNPUBLISHES}" in text


CONFIRMATIONS = [
    # (state, action, question, button)
    ("draft", "start", "Start measuring this improvement?", "Yes, start it"),
    ("running", "submit", "Submit it for review?", "Yes, submit it"),
    ("running", "withdraw", "Withdraw this improvement?", "Yes, withdraw it"),
    ("draft", "delete", "Delete this draft?", "Yes, delete it"),
]


@pytest.mark.parametrize(("state", "action", "question", "button"), CONFIRMATIONS)
@pytest.mark.parametrize("role", ["member", "manager", "admin"])
def test_each_action_asks_first_on_a_page_that_posts_to_it(
    session, signed_in, state, action, question, button, role
):
    improvement = _improvement(session, state)
    before = session.scalars(select(AuditEvent.id)).all()
    client = signed_in(role)
    url = f"/improvements/{improvement.id}/{action}"
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<h1 class="govuk-heading-l">{question}</h1>' in body
    forms = re.findall(r'<form method="post" action="([^"]+)"', body)
    assert forms == ["/auth/sign-out", url]  # the header's sign-out, then the action
    assert button in body and 'name="csrf_token"' in body
    assert f'href="/improvements/{improvement.id}">Cancel</a>' in body
    assert "cannot be undone" in text_of(body) or "cannot take it back" in text_of(body)
    session.expire_all()
    assert session.get(type(improvement), improvement.id).status.value == state
    assert session.scalars(select(AuditEvent.id)).all() == before


@pytest.mark.parametrize(("state", "action", "question", "button"), CONFIRMATIONS)
def test_read_only_and_other_departments_get_no_confirmation_page(
    session, signed_in, state, action, question, button
):
    improvement = _improvement(session, state)
    url = f"/improvements/{improvement.id}/{action}"
    assert signed_in("treasury").get(url).status_code == 403


def test_the_page_links_to_the_confirmations_and_posts_nothing_itself(session, signed_in):
    client = signed_in("member")
    for state, actions in (("draft", ("start", "delete")), ("running", ("submit", "withdraw"))):
        improvement = _improvement(session, state)
        page = client.get(f"/improvements/{improvement.id}").get_data(as_text=True)
        for action in actions:
            url = f"/improvements/{improvement.id}/{action}"
            assert f'href="{url}"' in page, (state, action)
            assert f'action="{url}"' not in page, (state, action)


def test_resubmit_and_a_blocked_submit_say_so(session, signed_in):
    running = _improvement(session, "running")
    manager = person(session, "manager")
    workflow.submit(person(session, "member"), running)
    decide(manager, running, Decision.CHANGES_REQUESTED, "Add the weekly counts.")
    session.commit()
    client = signed_in("member")
    body = client.get(f"/improvements/{running.id}/submit").get_data(as_text=True)
    assert "Resubmit it for review?" in body and "Yes, resubmit it" in body
    draft = _improvement(session, "draft")
    body = client.get(f"/improvements/{draft.id}/submit").get_data(as_text=True)
    assert 'id="confirm-blocked"' in body and "Yes, submit it" not in body
    assert "cannot be submitted" in body


def test_withdraw_without_a_reason_asks_again_and_changes_nothing(session, signed_in):
    running = _improvement(session, "running")
    client = signed_in("member")
    url = f"/improvements/{running.id}/withdraw"
    refused = client.post(url, data={"reason": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#reason"' in body and 'id="reason"' in body
    session.expire_all()
    assert session.get(type(running), running.id).status is Status.RUNNING
    assert client.post(url, data={"reason": "Superseded"}).status_code == 303
    session.expire_all()
    assert session.get(type(running), running.id).status is Status.WITHDRAWN


def test_deleting_a_measurement_without_javascript_asks_first(session, signed_in):
    running = _improvement(session, "running")
    row = running.batches[0].measurements[0].id
    client = signed_in("member")
    section = client.get(f"/improvements/{running.id}/measurements").get_data(as_text=True)
    url = f"/improvements/{running.id}/measurements/{row}/delete"
    # The row's Delete is a link to the confirmation page (htmx posts from it, after asking).
    assert f'<a class="govuk-link" href="{url}" hx-post="{url}"' in section
    assert f'action="{url}"' not in section
    page = client.get(url)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Delete this measurement?" in body
    assert f'<form method="post" action="{url}"' in body and "Yes, delete it" in body
    session.expire_all()
    assert session.get(Measurement, row) is not None
    assert client.post(url).status_code == 303
    session.expire_all()
    assert session.get(Measurement, row) is None


def _summary_targets(body: str) -> list[str]:
    summary = body[body.index('class="govuk-error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    return re.findall(r'href="#([^"]+)"', summary)


def _assert_summary_links_to_fields(response) -> None:
    body = response.get_data(as_text=True)
    targets = _summary_targets(body)
    assert targets, "the error summary links to no field"
    for target in targets:
        # The id a summary link names must be on the page, on the field itself (a focusable
        # input, select or textarea), and not inside a closed <details>.
        element = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{re.escape(target)}"', body)
        assert element, f"#{target} is not a field on the page"
        before = body[: element.start()]
        assert before.count("<details") == before.count("</details>") or re.search(
            r"<details[^>]*\bopen\b[^>]*>(?:(?!</details>).)*$", before, re.S
        ), f"#{target} is inside a closed <details>"


def test_error_summaries_link_to_fields_that_are_on_the_page(session, signed_in):
    from tests.support.improvement_forms import MEMBER_TEAM, form_data

    member = person(session, "member")
    MEMBER_TEAM["id"] = member.team_id
    running = _improvement(session, "running")
    row = running.batches[0].measurements[0].id
    client = signed_in("member")
    base = f"/improvements/{running.id}"
    posts = {
        "/improvements/new": form_data(title="", kind="", go_live_on=["31", "2", "2026"]),
        f"{base}/edit": form_data(title="", annual_volume="lots"),
        f"{base}/amend/expected_effect": {"expected_effect": "x", "reason": ""},
        f"{base}/stop": {"reason": ""},
        f"{base}/withdraw": {"reason": ""},
        f"{base}/measurements": {"new-phase": "", "new-value": "x"},
        f"{base}/measurements/{row}/edit": {f"m{row}-phase": "during", f"m{row}-value": "x"},
        f"{base}/measurements/upload": {},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 422, (url, response.status_code)
        _assert_summary_links_to_fields(response)


def test_the_import_for_many_improvements_warns_for_the_approved_ones_only(session, signed_in):
    published = _improvement(session, "published")
    running = _improvement(session, "running")
    client = signed_in("member")
    lines = ["Improvement,Phase,Value"] + [f"{i.id},after,8.5" for i in (published, running)]
    upload = {"file": (io.BytesIO(("\n".join(lines) + "\n").encode()), "rows.csv")}
    response = client.post("/measurements/import", data=upload)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    check = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"For “{published.title}”, confirming {REOPENS} and {UNPUBLISHES}" in check
    assert f"For “{running.title}”" not in check
