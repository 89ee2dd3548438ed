"""`gains create-api-token` prints a working token once, for active accounts only."""

from __future__ import annotations

from gains.commands.api_tokens import create_api_token_command
from tests.support.factories import person


def test_the_printed_token_works(app, client):
    result = app.test_cli_runner().invoke(
        create_api_token_command, ["--email", "Manager@example.org", "--name", "Demo"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert secret.startswith("gains_")
    response = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_unknown_or_deactivated_accounts_get_no_token(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        create_api_token_command, ["--email", "nobody@example.org", "--name", "x"]
    )
    assert result.exit_code == 2 and "No active account" in result.output
    with app.app_context():
        person(db.session, "member").active = False
        db.session.commit()
    result = runner.invoke(
        create_api_token_command, ["--email", "member@example.org", "--name", "x"]
    )
    assert result.exit_code == 2
