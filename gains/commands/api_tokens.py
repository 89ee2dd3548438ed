"""`gains create-api-token`: make a personal API token from the shell (scripts, demos).

The token is the person's own, as if they had made it on the API tokens page (the audit
event names them); the secret is printed once.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from gains.extensions import db
from gains.services.people.accounts import find_user_by_email
from gains.services.people.api_tokens import LIFETIMES_DAYS, TokenError, create_token


@click.command("create-api-token")
@click.option("--email", required=True, help="Whose token it is.")
@click.option("--name", required=True, help="What will use it.")
@click.option(
    "--days",
    type=click.Choice([str(days) for days in LIFETIMES_DAYS]),
    default="30",
    show_default=True,
    help="How long it lasts.",
)
@with_appcontext
def create_api_token_command(email: str, name: str, days: str) -> None:
    """Print a new API token for an active account (shown once: keep it)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        raise click.UsageError(f"No active account {email!r}.")
    try:
        new = create_token(user, name, int(days))
    except TokenError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(new.secret)
