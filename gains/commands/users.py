"""`gains create-user`: make the first administrator (or any account) from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Role, Team
from gains.services.accounts import AccountError, create_user


@click.command("create-user")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--name", required=True, help="The person's full name.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option("--department", "department_code", help="Department short code (members, managers).")
@click.option("--team", "team_name", help="Team name within the department (members, managers).")
@click.password_option(help="Asked for twice when not given; at least 10 characters.")
@with_appcontext
def create_user_command(email, name, role, department_code, team_name, password) -> None:
    """Create an account; members and managers need --department and --team."""
    team = None
    if department_code or team_name:
        team = db.session.scalars(
            select(Team)
            .join(Department)
            .where(Department.code == (department_code or "").upper(), Team.name == team_name)
        ).first()
        if team is None:
            raise click.UsageError(f"No team {team_name!r} in department {department_code!r}.")
    try:
        user = create_user(
            None, email=email, name=name, role=Role(role), team=team, password=password
        )
    except AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} {user.email}.")
