"""`gains create-user`: make the first administrator (or any account) from the shell."""

from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import select

from gains.extensions import db
from gains.models import Department, Role, Team
from gains.services.notifications.outbox import email_on
from gains.services.people import account_links
from gains.services.people.accounts import AccountError, create_user


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
@click.option("--password", help="Asked for twice when not given; at least 10 characters.")
@click.option(
    "--invite",
    is_flag=True,
    help="Set no password: print a one-time set-password link for the person instead.",
)
@click.option(
    "--site-url",
    help="The site's address, to print the invitation as a whole link (e.g. https://gains.example).",
)
@with_appcontext
def create_user_command(
    email, name, role, department_code, team_name, password, invite, site_url
) -> None:
    """Create an account; members and managers need --department and --team."""
    passwords = current_app.config["GAINS_PASSWORD_SIGN_IN"]
    if not passwords and (invite or password):
        raise click.UsageError(
            "Password sign-in is off (GAINS_PASSWORD_SIGN_IN=off): the person signs in with "
            "their organisation account. Leave out --password and --invite."
        )
    if invite and password:
        raise click.UsageError("Give --password or --invite, not both.")
    if passwords and not invite and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
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
    link = None
    if invite or not passwords:
        link = account_links.invite(
            None,
            user,
            passwords=passwords,
            secret_key=current_app.config["SECRET_KEY"],
            lifetimes=account_links.lifetimes_from(current_app.config),
        )
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} {user.email}.")
    if link is not None:
        with current_app.test_request_context():
            path = url_for("account.set_password", token=link.token)
        where = (site_url or "").rstrip("/")
        # With email on, the person is also emailed a link of their own (issue 23).
        emailed = "an email with a link goes too" if email_on() else "no email is sent"
        click.echo(
            f"One-time set-password link (works once, until {link.expires_at:%Y-%m-%d %H:%M} "
            f"UTC; {emailed}):\n{where}{path}"
        )
        if not where:
            click.echo("Put the site's address in front of it (or pass --site-url).")
    if not passwords:
        told = "an email tells them so" if email_on() else "no email is sent: tell them yourself"
        click.echo(f"They sign in with their organisation account ({told}).")
