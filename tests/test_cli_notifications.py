"""`gains check` for the email settings and per-worker rate limits, and `gains notifications
send` delivering an invitation to a real SMTP server (issue 23), as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.support.mail_servers import SmtpServer
from tests.test_cli import GAINS, assert_refused, run_gains


def environment(env: dict[str, str]) -> dict[str, str]:
    """As `run_gains` runs a command: this process's environment without its GAINS_ ones."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GAINS_")} | env


@pytest.mark.timeout(360)
def test_check_and_send_from_the_shell(tmp_path):
    env = {"GAINS_SECRET_KEY": "k" * 32, "GAINS_DATABASE_URL": f"sqlite:///{tmp_path}/gains.db"}
    assert run_gains("db", "upgrade", env=env).returncode == 0

    per_worker = env | {"GAINS_RATELIMIT_STORAGE_URI": "memory://"}
    warned = run_gains("check", env=per_worker | {"GUNICORN_WORKERS": "3"})
    assert (warned.returncode, warned.stdout.strip()) == (0, "Ready.")
    assert "Warning: Rate limits count per process" in warned.stderr
    assert "gunicorn runs 3 workers" in warned.stderr
    one = run_gains("check", env=per_worker | {"GUNICORN_CMD_ARGS": "--workers 1"})
    assert (one.returncode, one.stderr) == (0, "")
    shared = run_gains("check", env=env | {"GUNICORN_WORKERS": "3"})
    assert (shared.returncode, shared.stderr) == (0, "")

    assert_refused(
        run_gains("check", env=env | {"GAINS_EMAIL_TRANSPORT": "smtp"}),
        "GAINS_EMAIL_TRANSPORT=smtp needs GAINS_EMAIL_BASE_URL",
        "GAINS_SMTP_HOST",
    )
    off = run_gains("notifications", "send", env=env)
    assert off.returncode == 2 and "Email is off" in off.stderr

    server = SmtpServer()
    server.start()
    try:
        mail = env | {
            "GAINS_EMAIL_TRANSPORT": "smtp",
            "GAINS_EMAIL_BASE_URL": "https://gains.example.gov.uk",
            "GAINS_EMAIL_FROM": "gains@example.gov.uk",
            "GAINS_SMTP_HOST": "127.0.0.1",
            "GAINS_SMTP_PORT": str(server.port),
            "GAINS_SMTP_STARTTLS": "off",
        }
        assert run_gains("check", env=mail).returncode == 0
        created = run_gains(
            "create-user", "--email", "first@example.org", "--name", "First", "--invite", env=mail
        )
        assert created.returncode == 0, created.stderr
        assert "an email with a link goes too" in created.stdout
        sent = run_gains("notifications", "send", env=mail)
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.strip() == "Emails: 1 sent, 0 to try again, 0 failed, 0 cancelled."
        (message,) = server.received
        assert message["To"] == "first@example.org"
        assert "https://gains.example.gov.uk/account/set-password/" in message.get_content()
        again = run_gains("notifications", "send", env=mail)
        assert again.stdout.strip().startswith("Emails: 0 sent")

        # The worker: it sends what comes due while it runs, until it is stopped.
        worker = subprocess.Popen(
            [str(GAINS), "notifications", "send", "--watch", "--interval", "1"],
            env=environment(mail),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            created = run_gains(
                "create-user",
                "--email",
                "second@example.org",
                "--name",
                "Second",
                "--invite",
                env=mail,
            )
            assert created.returncode == 0, created.stderr
            deadline = time.monotonic() + 60
            while len(server.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert [message["To"] for message in server.received][1:] == ["second@example.org"]
        finally:
            worker.terminate()
            output, errors = worker.communicate(timeout=30)
        assert "Emails: 1 sent" in output, errors
    finally:
        server.stop()
