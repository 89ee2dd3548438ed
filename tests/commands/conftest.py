"""Fixtures of the command-line tests: `gains import` on a file, and its target improvement."""

from __future__ import annotations

import pytest

from gains.commands.imports import import_command
from gains.services.improvements import workflow
from tests.support.factories import person, plan


@pytest.fixture
def member(session):
    """The demo member (the owner of `running`)."""
    return person(session, "member")


@pytest.fixture
def running(session, member):
    """A running improvement of the member's team, committed: a target for `gains import`."""
    improvement = workflow.create_improvement(member, member.team, plan(title="Imported"))
    workflow.start(member, improvement)
    session.commit()
    return improvement


@pytest.fixture
def run(app, session, tmp_path):
    """Invoke `gains import` on a file with this content; the CliRunner result."""

    def invoke(content: str | bytes, *args: str, name: str = "rows.csv"):
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return app.test_cli_runner().invoke(import_command, [str(path), *args])

    return invoke
