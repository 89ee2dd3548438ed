"""Twelve saves of one person's choice of emails at the same moment (a double click, many
tabs): every one succeeds and the last choice stands, rather than two adding the same row and
one failing (PostgreSQL, real commits; see test_admin_concurrency)."""

from __future__ import annotations

import threading

import flask_migrate
import pytest
from sqlalchemy import select

from gains.extensions import db
from gains.models import Role, User
from gains.models.notification import NotificationOptOut
from gains.services.notifications import kinds, outbox
from gains.services.people.accounts import create_user
from tests.conftest import make_test_app
from tests.support.postgres import fresh_database

# Below the connection pool's 15 (5 and 10 overflow), which each save holds while it waits.
SAVES = 12


@pytest.fixture
def someone(request):
    app = make_test_app(fresh_database(request, "gains_choices_race"))
    with app.app_context():
        flask_migrate.upgrade()
        user = create_user(
            None,
            email="someone@example.org",
            name="Someone",
            role=Role.TREASURY,
            team=None,
            password=None,
        )
        db.session.commit()
        user_id = user.id
        db.session.remove()
    yield app, user_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_saving_the_same_choice_at_once_from_many_tabs_all_succeed(someone):
    app, user_id = someone
    ready = threading.Barrier(SAVES, timeout=30)
    failures: list[BaseException] = []

    def save() -> None:
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                outbox.opted_out(user_id)  # each has read the choice before any writes
                ready.wait()
                outbox.set_choices(user, [])  # Treasury's one kind, off
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=save) for _ in range(SAVES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    with app.app_context():
        off = set(
            db.session.scalars(
                select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)
            )
        )
    assert off == {kinds.WEEKLY_SUMMARY}
