"""Ids are never handed out again: the audit trail names records by id and outlives them, so
a deleted draft's history must not turn up on the next improvement (SQLite reused the id)."""

from __future__ import annotations

from sqlalchemy import select

from gains.extensions import db
from gains.models import AuditEvent
from gains.services.improvements import workflow
from tests.support.factories import person, plan


def test_the_next_improvement_after_a_deleted_draft_has_a_new_id_and_its_own_history(
    app, signed_in
):
    client = signed_in("member")
    with app.app_context():
        member = person(db.session, "member")
        draft = workflow.create_improvement(member, member.team, plan(title="Deleted soon"))
        db.session.commit()
        deleted_id = draft.id
        workflow.delete_draft(member, draft)
        db.session.commit()
        following = workflow.create_improvement(member, member.team, plan(title="The next one"))
        db.session.commit()
        following_id = following.id
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.improvement_id == following_id)
        ).all()
    assert following_id > deleted_id
    assert actions == ["improvement.created"]
    page = client.get(f"/improvements/{following_id}/audit").get_data(as_text=True)
    assert "The next one" in page
    assert "Deleted soon" not in page
