"""Alembic environment for Gains (run through Flask-Migrate: `gains db upgrade`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

from gains.models.search import include_in_comparison

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers working when migrations run inside tests or the CLI.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_extension = current_app.extensions["migrate"]
target_metadata = migrate_extension.db.metadata


def _engine():
    return migrate_extension.db.engine


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting (`gains db upgrade --sql`)."""
    context.configure(
        url=_engine().url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Write app column types as their plain SQLAlchemy types, so that migrations never
    import the app (an old migration must keep working when the app's code moves on)."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return "sa." + repr(obj.impl)
    return False


def run_migrations_online() -> None:
    def skip_empty_autogenerate(context, revision, directives):
        # `gains db migrate` with no model change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    configure_args = dict(migrate_extension.configure_args)
    configure_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    configure_args.setdefault("compare_type", True)
    configure_args.setdefault("render_item", render_item)
    # The full-text search's table and index are the database's own (migration 0020).
    configure_args.setdefault("include_object", include_in_comparison)
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table to alter it; with foreign keys enforced,
            # dropping the old copy of a table that others reference fails. Alembic's advice:
            # enforcement off for the migration (the pragma only works outside a transaction,
            # hence the driver connection), the keys checked afterwards, and on again.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(connection=connection, target_metadata=target_metadata, **configure_args)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            driver = connection.connection.driver_connection
            broken = driver.execute("PRAGMA foreign_key_check").fetchall()
            driver.execute("PRAGMA foreign_keys = ON")
            if broken:
                raise RuntimeError(f"The migration left broken foreign keys: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
