"""Migration 0019 (issue 21): the chart notes table comes and goes on its own; the demo's
notes are stored with their improvement, date and words, and a downgrade leaves the rest of
the register as it was."""

import flask_migrate
from sqlalchemy import func, inspect, select

from gains.demo.seed import seed_demo
from gains.extensions import db
from gains.models import ChartNote, Improvement
from tests.conftest import make_test_app


def test_0019_adds_and_drops_the_chart_notes_table(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        db.session.commit()
        notes = db.session.execute(
            select(Improvement.title, ChartNote.on_date, ChartNote.text).join(
                Improvement, Improvement.id == ChartNote.improvement_id
            )
        ).all()
        assert notes and all(text for _, _, text in notes)
        improvements = db.session.scalar(select(func.count()).select_from(Improvement))
        db.session.remove()  # the migration's own connection must not wait on this one

        flask_migrate.downgrade(revision="0018_money_terms")
        assert "chart_notes" not in inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        # The schema first: on SQLite the session's transaction holds the write lock.
        columns = {c["name"] for c in inspect(db.engine).get_columns("chart_notes")}
        assert columns == {"id", "improvement_id", "on_date", "text", "created_by_id", "created_at"}
        assert db.session.scalar(select(func.count()).select_from(ChartNote)) == 0
        assert db.session.scalar(select(func.count()).select_from(Improvement)) == improvements
        db.session.remove()
        db.engine.dispose()
