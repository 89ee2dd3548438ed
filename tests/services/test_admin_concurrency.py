"""Two administrators demoting each other at the same moment: one wins, one is refused, and
an administrator remains (PostgreSQL, real commits; see test_measurement_concurrency)."""

from __future__ import annotations

import threading

import flask_migrate
import pytest
from sqlalchemy import func, select

from gains.extensions import db
from gains.models import AuditEvent, Role, User
from gains.services.people.accounts import AccountError, create_user, update_user
from tests.conftest import make_test_app
from tests.support.postgres import fresh_database


@pytest.fixture
def two_admins(request):
    app = make_test_app(fresh_database(request, "gains_admin_race"))
    with app.app_context():
        flask_migrate.upgrade()
        admins = [
            create_user(
                None,
                email=f"admin{n}@example.org",
                name=f"Admin {n}",
                role=Role.ADMIN,
                team=None,
                password=None,
            )
            for n in (1, 2)
        ]
        db.session.commit()
        ids = [a.id for a in admins]
        db.session.remove()
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_admins_demoting_each_other_cannot_both_succeed(two_admins):
    app, (first_id, second_id) = two_admins
    ready = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def demote(actor_id: int, target_id: int) -> None:
        try:
            with app.app_context():
                actor = db.session.get(User, actor_id)
                target = db.session.get(User, target_id)
                # Both have read that they are admins before either writes.
                ready.wait()
                try:
                    update_user(actor, target, name=target.name, role=Role.TREASURY, team=None)
                    db.session.commit()
                    outcomes.append("demoted")
                except AccountError as error:
                    db.session.rollback()
                    outcomes.append(str(error))
                db.session.remove()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [
        threading.Thread(target=demote, args=pair)
        for pair in ((first_id, second_id), (second_id, first_id))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(outcomes) == ["Only an active administrator can change accounts", "demoted"]
    with app.app_context():
        admins = db.session.scalar(select(func.count()).where(User.role == Role.ADMIN))
        demotions = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "user.updated")
        )
    assert (admins, demotions) == (1, 1)
