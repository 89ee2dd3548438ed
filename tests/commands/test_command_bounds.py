"""The bounds on the command line: `gains import`'s options and rows, the account and token
commands' text, and `gains stats` files, each refused with the message every other path
gives (exit status 2, nothing written)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gains import bounds
from gains.commands.api_tokens import create_api_token_command
from gains.commands.users import create_user_command
from gains.models import User
from gains.stats_cli import stats_group
from tests.support.import_command import GOOD, counts


def test_an_improvement_number_no_record_can_have_is_a_usage_error(session, run):
    result = run(GOOD, "--improvement", "99999999999999999999")
    assert result.exit_code == 2
    assert bounds.RECORD_ID.message in result.output


def test_a_source_with_control_characters_is_a_usage_error(session, running, run):
    before = counts(session)
    result = run(GOOD, "--improvement", str(running.id), "--source", "export\x00")
    assert result.exit_code == 2
    assert "Remove the invisible control characters from the source" in result.output
    assert counts(session) == before


def test_rows_past_the_bounds_reject_the_file(session, running, run):
    before = counts(session)
    content = GOOD + "after,treatment,case 9,9999-12-31,1e308\n"
    result = run(content, "--improvement", str(running.id))
    assert result.exit_code == 2
    assert bounds.MEASUREMENT_VALUE.message in result.stderr
    assert bounds.DATE.message in result.stderr
    assert counts(session) == before


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--name", "Ada\x00", "Remove the invisible control characters from the name"),
        ("--email", "ada\x1b@example.org", "Remove the invisible control characters"),
    ],
)
def test_create_user_refuses_control_characters(app, session, option, value, message):
    arguments = {"--email": "ada@example.org", "--name": "Ada", "--password": "a long password"}
    arguments[option] = value
    result = app.test_cli_runner().invoke(
        create_user_command, [part for pair in arguments.items() for part in pair]
    )
    assert result.exit_code == 2
    assert message in result.output


def test_with_passwords_off_create_user_refuses_a_password_and_makes_no_link(
    app, session, monkeypatch
):
    monkeypatch.setitem(app.config, "GAINS_PASSWORD_SIGN_IN", False)
    runner = app.test_cli_runner()
    named = ["--email", "ada@example.org", "--name", "Ada"]
    for extra in (["--password", "a long password"], ["--invite"]):
        refused = runner.invoke(create_user_command, named + extra)
        assert refused.exit_code == 2
        assert "GAINS_PASSWORD_SIGN_IN=off" in refused.output
        assert session.scalar(select(User).where(User.email == "ada@example.org")) is None
    made = runner.invoke(create_user_command, named)
    assert made.exit_code == 0, made.output
    assert "sign in with their organisation account" in made.output
    assert "set-password" not in made.output
    ada = session.scalar(select(User).where(User.email == "ada@example.org"))
    assert ada is not None and ada.password_hash is None


def test_create_api_token_refuses_control_characters(app, session):
    runner = app.test_cli_runner()
    nul_email = runner.invoke(
        create_api_token_command, ["--email", "member\x00@example.org", "--name", "x"]
    )
    assert nul_email.exit_code == 2 and "No active account" in nul_email.output
    nul_name = runner.invoke(
        create_api_token_command, ["--email", "member@example.org", "--name", "nightly\x00"]
    )
    assert nul_name.exit_code == 2
    assert "Remove the invisible control characters from the name" in nul_name.output


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("spc", "value\n1\n1e308\n2\n", bounds.MEASUREMENT_VALUE.message),
        ("spc", "date,value\n2026-01-01,1\n1900-01-01,2\n", bounds.DATE.message),
        (
            "estimate",
            "phase,value\nbefore,1\nbefore,2\nafter,-1e13\nafter,3\n",
            "Value must be between",
        ),
        (
            "estimate",
            "phase,value,date\nbefore,1,2026-01-01\nbefore,2,2026-01-02\n"
            "after,2,2200-01-01\nafter,3,2026-02-01\n",
            "date between",
        ),
    ],
)
def test_stats_files_past_the_bounds_give_one_message(tmp_path, command, text, message):
    path = tmp_path / "rows.csv"
    path.write_text(text)
    result = CliRunner().invoke(stats_group, [command, str(path)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
