"""`gains seed-demo`: load the demo register (see gains/demo)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gains.demo.catalogue import DEMO_PASSWORD, PEOPLE
from gains.demo.seed import database_is_empty, reset_database, seed_demo
from gains.extensions import db


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete every existing row first, then seed.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Seed only an empty database and exit quietly otherwise (used by `make run`).",
)
@with_appcontext
def seed_demo_command(reset: bool, if_empty: bool) -> None:
    """Fill the database with a realistic demo register and print the demo logins."""
    if not database_is_empty():
        if reset:
            reset_database()
        elif if_empty:
            click.echo("The database already has data: demo seed skipped.")
            return
        else:
            raise click.ClickException(
                "The database is not empty, so nothing was seeded. "
                "Run `gains seed-demo --reset` to delete everything and seed the demo."
            )
    summary = seed_demo()
    db.session.commit()
    click.echo(
        f"Seeded {summary.departments} departments, {summary.teams} teams, "
        f"{summary.users} people, {summary.improvements} improvements and "
        f"{summary.measurements:,} measurements."
    )
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
    for email, name, role, code, team in PEOPLE[:4]:
        where = f", {team} ({code})" if team else ""
        click.echo(f"  {role:<9} {email:<24} {name}{where}")
