"""Migrations are the schema: they build it from empty on both backends, and the models
agree with them (an autogenerate diff against the migrated database is empty)."""

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gains.extensions import db
from gains.models import Base
from gains.models.search import include_in_comparison
from gains.startup import head_revision
from tests.conftest import make_test_app


def test_template_database_is_at_head(app, db):
    with app.app_context():
        context = MigrationContext.configure(db.session.connection())
        assert context.get_current_revision() == head_revision()


def test_models_and_migrations_agree(app, db):
    with app.app_context():
        context = MigrationContext.configure(
            db.session.connection(),
            opts={"compare_type": True, "include_object": include_in_comparison},
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_downgrade_upgrade_from_empty(empty_database_url):
    app = make_test_app(empty_database_url)
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in Base.metadata.sorted_tables} <= tables
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert {table.name for table in Base.metadata.sorted_tables} <= set(
            inspect(db.engine).get_table_names()
        )
        db.engine.dispose()
