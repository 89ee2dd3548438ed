"""The `gains` command: a Flask CLI group bound to the app factory.

`gains run`, `gains db upgrade` (Flask-Migrate), `gains seed-demo`, `gains create-user`,
`gains create-api-token`, `gains import`, `gains notifications`, `gains check` and
`gains stats ...` (no app, database or secret needed).
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, routes_command, run_command, shell_command

from gains import create_app
from gains.commands.api_tokens import create_api_token_command
from gains.commands.estimates import estimates_group
from gains.commands.imports import import_command
from gains.commands.notifications import notifications_group
from gains.commands.seed import seed_demo_command
from gains.commands.users import create_user_command
from gains.config import ConfigError
from gains.startup import (
    StartupError,
    check_ready,
    ensure_sqlite_directory,
    gunicorn_workers,
    rate_limits_warning,
)
from gains.stats_cli import stats_group


def _create_cli_app() -> Flask:
    app = create_app()
    ensure_sqlite_directory(app)
    return app


@click.command(
    "run",
    params=run_command.params,
    help="Check the app is ready (secret, database, schema), then serve it for development.",
)
@click.pass_context
def run(ctx: click.Context, **options) -> None:
    app = ctx.ensure_object(ScriptInfo).load_app()
    check_ready(app)
    ctx.invoke(run_command, **options)


@click.command(
    "check",
    help="Check the app could serve: secret set, database reachable, schema current, email "
    "settings complete; warn if gunicorn's workers would each count the rate limits alone.",
)
@click.pass_context
def check(ctx: click.Context) -> None:
    app = ctx.ensure_object(ScriptInfo).load_app()
    check_ready(app)
    warning = rate_limits_warning(app, gunicorn_workers())
    if warning:
        click.secho(f"Warning: {warning}", err=True, fg="yellow")
    click.echo("Ready.")


cli = FlaskGroup(
    name="gains",
    create_app=_create_cli_app,
    add_default_commands=False,
    load_dotenv=False,
    help="Gains: measure which small public-service improvements work, and what they save.",
)
cli.add_command(run)
cli.add_command(check)
cli.add_command(shell_command)
cli.add_command(routes_command)
cli.add_command(seed_demo_command)
cli.add_command(create_user_command)
cli.add_command(create_api_token_command)
cli.add_command(estimates_group)
cli.add_command(import_command)
cli.add_command(notifications_group)
# Registered on the group itself, not app.cli: it never loads the app, so it needs no
# database and no secret.
cli.add_command(stats_group, "stats")


def main() -> None:
    """Console-script entry point: configuration problems are one line and exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except (ConfigError, StartupError) as error:
        click.secho(f"gains: {error}", err=True, fg="red")
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
