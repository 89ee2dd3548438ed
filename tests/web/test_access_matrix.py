"""The access matrix: every route × every role (and anonymous) × own / other department.

The expected statuses are written here by hand, from the rules in docs/DESIGN.md "Who uses
it" and docs/ARCHITECTURE.md "Access", never derived from the code under test. A route without
a row (or a row without a route) fails `test_every_route_has_a_row`.

How to read a cell: one status means the same answer for either department; a pair is
(own department, other department). "Own" is an improvement of the demo member's team
(Benefit renewals, Work and Pensions), which is also the demo manager's department; "other" is
an improvement of the Revenue department. Treasury and admin belong to no department, so their
cells are single statuses.

Refusals: a record you may not read answers 404 (its existence is not revealed); a record you
may read but not change answers 403; a page your role may never use answers 403. Anonymous
visitors are sent to sign in (302). POSTs carry no form data: an allowed user gets the form's
validation answer (422) or, for buttons without fields, the action's redirect (303); what counts
is that it passed the access gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from gains.extensions import db as database
from gains.models import BatchSource, Decision, Department
from gains.services.improvements import workflow
from gains.services.improvements.chart_notes import add_note
from gains.services.improvements.cycles import start_cycle
from gains.services.measurements.recording import record_batch
from gains.services.people.api_tokens import create_token
from gains.services.public.publication import publish
from gains.services.review.decisions import decide
from tests.conftest import DEMO_LOGINS, rolled_back, savepoint, sign_in
from tests.support.factories import person, plan, rows, start_with_data

ROLES = ("anonymous", "member", "manager", "treasury", "admin")
SCOPES = ("own", "other")
Cell = int | tuple[int, int]

# Owners of the fixture improvements, and the managers who review them, per scope.
OWNER_EMAIL = {"own": DEMO_LOGINS["member"], "other": "debt@example.org"}
MANAGER_EMAIL = {"own": DEMO_LOGINS["manager"], "other": "manager.rev@example.org"}


@dataclass(frozen=True)
class Row:
    """Expected statuses by role; `state` is the improvement the route acts on."""

    anonymous: Cell
    member: Cell
    manager: Cell
    treasury: Cell
    admin: Cell
    # draft, running, submitted, pending (a CSV awaiting confirmation), approved, published
    state: str | None = None
    args: dict[str, Any] = field(default_factory=dict)  # fixed URL values
    json: dict[str, Any] | None = None  # an API body that passes the schema
    batch_in_request: bool = False  # send the pending batch's id as ?batch= or a form field

    def expected(self, role: str, scope: str) -> int:
        cell = getattr(self, role)
        if isinstance(cell, tuple):
            return cell[SCOPES.index(scope)]
        return cell


SIGN_IN = 302  # anonymous visitors are sent to the sign-in page
NF = 404
FB = 403

# (endpoint, method) -> Row(anonymous, member, manager, treasury, admin)
MATRIX: dict[tuple[str, str], Row] = {
    # Signing in and out; the health check and assets are open to all.
    ("auth.sign_in", "GET"): Row(200, 302, 302, 302, 302),
    ("auth.sign_in", "POST"): Row(422, 302, 302, 302, 302),
    # Organisation sign-in is not configured in the matrix's app: its routes do not exist
    # (tests/web/test_organisation_sign_in.py covers them configured, with a provider).
    ("auth.organisation_start", "GET"): Row(NF, NF, NF, NF, NF),
    ("auth.organisation_callback", "GET"): Row(NF, NF, NF, NF, NF),
    ("auth.sign_out", "POST"): Row(SIGN_IN, 303, 303, 303, 303),
    ("main.health", "GET"): Row(200, 200, 200, 200, 200),
    ("static", "GET"): Row(200, 200, 200, 200, 200, args={"filename": "app/app.css"}),
    ("main.home", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    # Dashboards: a department's own people see its dashboard; treasury and admin see all.
    # Members and managers have one department: the list sends them to its dashboard.
    ("dashboards.departments", "GET"): Row(SIGN_IN, 302, 302, 200, 200),
    ("dashboards.department", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200),
    ("dashboards.forest_plot", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200),
    # The dashboard's files are for managers, Treasury and admins (issue 21).
    ("dashboards.department_export", "GET"): Row(
        SIGN_IN, FB, (200, NF), 200, 200, args={"table": "savings"}
    ),
    ("dashboards.treasury", "GET"): Row(SIGN_IN, FB, FB, 200, 200),
    ("dashboards.treasury_chart", "GET"): Row(SIGN_IN, FB, FB, 200, 200),
    ("dashboards.treasury_sensitivity_chart", "GET"): Row(SIGN_IN, FB, FB, 200, 200),
    ("dashboards.treasury_export", "GET"): Row(
        SIGN_IN, FB, FB, 200, 200, args={"table": "cumulative", "file_format": "csv"}
    ),
    # The register of improvements.
    ("improvements.index", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    ("improvements.new", "GET"): Row(SIGN_IN, 200, 200, FB, 200),
    ("improvements.new", "POST"): Row(SIGN_IN, 422, 422, FB, 422),
    ("improvements.similar", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    ("improvements.view", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="draft"),
    ("improvements.estimate_csv", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("improvements.edit", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="draft"),
    ("improvements.edit", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="draft"),
    ("improvements.amend", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running", args={"field_name": "hypothesis"}
    ),
    ("improvements.amend", "POST"): Row(
        SIGN_IN, (422, NF), (422, NF), FB, 422, state="running", args={"field_name": "hypothesis"}
    ),
    # Start, submit, withdraw and delete: a confirmation page (GET) for those who may change
    # the improvement, and the action (POST) its form sends.
    ("improvements.delete", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="draft"),
    ("improvements.delete", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="draft"),
    ("improvements.start", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="draft"),
    ("improvements.start", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="draft"),
    ("improvements.submit", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    ("improvements.submit", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="running"),
    ("improvements.withdraw", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    # Without a reason the confirmation page is shown again with its error.
    ("improvements.withdraw", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"),
    # Why a running improvement stopped before its planned size: its team's people record it.
    ("improvements.stop", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    ("improvements.stop", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"),
    # The estimate panel is an htmx fragment; a plain visit is sent to the improvement's page.
    ("improvements.estimate", "GET"): Row(SIGN_IN, (302, NF), (302, NF), 302, 302, state="running"),
    # Like the estimate panel, the charts panel is an htmx fragment.
    ("improvements.charts_panel", "GET"): Row(
        SIGN_IN, (302, NF), (302, NF), 302, 302, state="running"
    ),
    ("improvements.chart", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), 200, 200, state="running", args={"kind": "distributions"}
    ),
    # Notes on the charts: the team's people write them (a page of its own for the add form's
    # problems, a page that asks before deleting); everyone who reads the improvement sees them.
    ("improvements.add_chart_note", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("improvements.add_chart_note", "POST"): Row(
        SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"
    ),
    ("improvements.delete_chart_note", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("improvements.delete_chart_note", "POST"): Row(
        SIGN_IN, (303, NF), (303, NF), FB, 303, state="running"
    ),
    # PDSA cycles: the team's people start and end them (pages of their own for the forms'
    # problems); everyone who reads the improvement reads them and their CSV.
    ("improvements.start_cycle_page", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("improvements.start_cycle_page", "POST"): Row(
        SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"
    ),
    ("improvements.cycle_outcome", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("improvements.cycle_outcome", "POST"): Row(
        SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"
    ),
    ("improvements.cycles_csv", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    # Measurements and batches hang off an improvement and follow its rules.
    ("measurements.index", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("measurements.template", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("measurements.download", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("measurements.add", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"),
    ("measurements.edit", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    # An empty POST keeps the row's current values (WTForms falls back to the record): saved.
    ("measurements.edit", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="running"),
    ("measurements.delete", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    ("measurements.delete", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="running"),
    ("measurements.upload", "GET"): Row(SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"),
    ("measurements.upload", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"),
    ("measurements.batch", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("measurements.confirm", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="pending"),
    ("measurements.cancel", "POST"): Row(SIGN_IN, (303, NF), (303, NF), FB, 303, state="pending"),
    ("measurements.withdraw", "POST"): Row(SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"),
    # Review: only a manager of the improvement's department decides. Members are refused the
    # whole area (403, before any record is looked up); treasury and admin may read a review
    # but not decide (admins run accounts, they do not judge results).
    ("reviews.queue", "GET"): Row(SIGN_IN, FB, 200, FB, 200),
    ("reviews.review", "GET"): Row(SIGN_IN, FB, (200, NF), 200, 200, state="submitted"),
    ("reviews.decision", "POST"): Row(SIGN_IN, FB, (422, NF), FB, FB, state="submitted"),
}


# Routes added by the public register and its publication decision.
MATRIX |= {
    # The public register: the same for everybody, and only ever published results.
    ("public.register", "GET"): Row(200, 200, 200, 200, 200),
    ("public.about_data", "GET"): Row(200, 200, 200, 200, 200),
    ("public.data_csv", "GET"): Row(200, 200, 200, 200, 200),
    ("public.data_json", "GET"): Row(200, 200, 200, 200, 200),
    ("public.feed", "GET"): Row(200, 200, 200, 200, 200),
    ("public.savings", "GET"): Row(200, 200, 200, 200, 200),
    ("public.department", "GET"): Row(200, 200, 200, 200, 200),
    ("public.improvement", "GET"): Row(200, 200, 200, 200, 200, state="published"),
    ("public.chart", "GET"): Row(200, 200, 200, 200, 200, state="published"),
    # Publishing is the manager's decision for their own department, nobody else's.
    ("publication.manage", "GET"): Row(SIGN_IN, (FB, NF), (200, NF), FB, FB, state="approved"),
    ("publication.manage", "POST"): Row(SIGN_IN, (FB, NF), (422, NF), FB, FB, state="approved"),
    ("publication.unpublish", "POST"): Row(SIGN_IN, (FB, NF), (303, NF), FB, FB, state="published"),
}


# The JSON API: the same rules through bearer tokens (no session). Anonymous is 401. A body
# is checked against its schema before any record is looked up, so a bad body is 422 whatever
# the id (which reveals nothing); rows that change a record send a valid body, so that the
# cell tests the scope rule itself.
NO_TOKEN = 401
MATRIX |= {
    ("api_docs.docs", "GET"): Row(200, 200, 200, 200, 200),
    ("api_docs.openapi_json", "GET"): Row(200, 200, 200, 200, 200),
    ("api_organisation.list_departments", "GET"): Row(NO_TOKEN, 200, 200, 200, 200),
    ("api_organisation.get_department", "GET"): Row(NO_TOKEN, (200, NF), (200, NF), 200, 200),
    ("api_organisation.list_teams", "GET"): Row(NO_TOKEN, 200, 200, 200, 200),
    ("api_organisation.get_team", "GET"): Row(NO_TOKEN, (200, NF), (200, NF), 200, 200),
    ("api_improvements.list_improvements", "GET"): Row(NO_TOKEN, 200, 200, 200, 200),
    ("api_improvements.list_similar_improvements", "GET"): Row(NO_TOKEN, 200, 200, 200, 200),
    ("api_improvements.create_improvement", "POST"): Row(NO_TOKEN, 422, 422, 422, 422),
    ("api_improvements.get_improvement", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="draft"
    ),
    ("api_improvements.update_improvement", "PATCH"): Row(
        NO_TOKEN, (200, NF), (200, NF), FB, 200, state="draft", json={"title": "Renamed"}
    ),
    ("api_improvements.start_improvement", "POST"): Row(
        NO_TOKEN, (200, NF), (200, NF), FB, 200, state="draft"
    ),
    ("api_improvements.submit_improvement", "POST"): Row(
        NO_TOKEN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("api_improvements.withdraw_improvement", "POST"): Row(
        NO_TOKEN, (200, NF), (200, NF), FB, 200, state="running", json={"reason": "Superseded"}
    ),
    ("api_improvements.decide_improvement", "POST"): Row(
        NO_TOKEN, (FB, NF), (200, NF), FB, FB, state="submitted", json={"decision": "approved"}
    ),
    ("api_measurements.create_measurements", "POST"): Row(
        NO_TOKEN,
        (201, NF),
        (201, NF),
        FB,
        201,
        state="running",
        json={"rows": [{"phase": "after", "value": 9}]},
    ),
    ("api_measurements.list_measurements", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_measurements.list_batches", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_measurements.get_batch", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_measurements.withdraw", "POST"): Row(
        NO_TOKEN, (200, NF), (200, NF), FB, 200, state="running", json={"reason": "Wrong file"}
    ),
    # PDSA cycles: readers list them; the team's people start and end them. The running
    # improvement's cycle 1 is open, so starting another is refused for its state (409).
    ("api_cycles.list_cycles", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_cycles.create_cycle", "POST"): Row(
        NO_TOKEN,
        (409, NF),
        (409, NF),
        FB,
        409,
        state="running",
        json={"plan": "Try it", "prediction": "Better", "started_on": "2026-06-01"},
    ),
    ("api_cycles.update_cycle", "PATCH"): Row(
        NO_TOKEN,
        (200, NF),
        (200, NF),
        FB,
        200,
        state="running",
        json={"ended_on": "2026-06-30", "act_decision": "adapt"},
    ),
    ("api_chart_notes.list_chart_notes", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_chart_notes.create_chart_note", "POST"): Row(
        NO_TOKEN,
        (201, NF),
        (201, NF),
        FB,
        201,
        state="running",
        json={"on_date": "2026-03-01", "text": "New script from 1 March"},
    ),
    ("api_estimates.get_estimate", "GET"): Row(
        NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"
    ),
    ("api_estimates.get_pooled_estimate", "GET"): Row(NO_TOKEN, (200, NF), (200, NF), 200, 200),
    ("api_savings.cumulative_savings", "GET"): Row(NO_TOKEN, FB, FB, 200, 200),
    # Adopt an idea into your own team (by default your first); Treasury has none. An admin's
    # first team takes both adoptions (the other department's first): the second, by the same
    # title, is a clash (409), which passed the access gate. An idea's pooled result for
    # anyone who may read one of its places (issue 22).
    ("api_improvements.adopt_improvement", "POST"): Row(
        NO_TOKEN, (201, NF), (201, NF), FB, (409, 201), state="running", json={"title": "Adopted"}
    ),
    ("api_ideas.get_idea", "GET"): Row(NO_TOKEN, (200, NF), (200, NF), 200, 200, state="running"),
    # Personal tokens, managed in the browser: "own" is the signed-in person's token, "other"
    # someone else's (another department's member): never found, whoever asks.
    ("api_tokens.index", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    ("api_tokens.create", "POST"): Row(SIGN_IN, 422, 422, 422, 422),
    ("api_tokens.revoke", "POST"): Row(SIGN_IN, (303, NF), (303, NF), (303, NF), (303, NF)),
}


# Administration is for admins only: the blueprint refuses every other role (403) before any
# record is looked up. Admins belong to no department, so their cells are single.
ADMIN_ONLY = dict(member=FB, manager=FB, treasury=FB)
MATRIX |= {
    ("admin.index", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.departments", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.new_department", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.new_department", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),
    ("admin.department", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.department", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),  # add a team
    ("admin.edit_department", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.edit_department", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),
    ("admin.edit_team", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.edit_team", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),
    ("admin.users", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.user", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.invite_user", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.invite_user", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),
    ("admin.edit_user", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.edit_user", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=422),
    ("admin.issue_link", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.deactivate_user", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=303),
    ("admin.reactivate_user", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=303),
    ("admin.sign_out_user_everywhere", "POST"): Row(SIGN_IN, **ADMIN_ONLY, admin=303),
    ("admin.audit_trail.index", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.audit_trail.csv_export", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    # The outbox (issue 23); sending again is tested with a real failed email in
    # tests/web/test_admin_emails.py: here, an email that does not exist is 404.
    ("admin.emails", "GET"): Row(SIGN_IN, **ADMIN_ONLY, admin=200),
    ("admin.send_email_again", "POST"): Row(
        SIGN_IN, **ADMIN_ONLY, admin=404, args={"notification_id": 2**31 - 1}
    ),
    # Your own account: everyone signed in; a set-password link that is not real is one
    # generic 404, and a signed-in visitor is asked to sign out first (409).
    ("account.index", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    ("account.change_password", "POST"): Row(SIGN_IN, 422, 422, 422, 422),
    ("account.sign_out_everywhere", "POST"): Row(SIGN_IN, 303, 303, 303, 303),
    # Which emails you get (issue 23): your own choice only; nothing ticked is a choice too.
    ("account.notifications", "GET"): Row(SIGN_IN, 200, 200, 200, 200),
    ("account.notifications", "POST"): Row(SIGN_IN, 303, 303, 303, 303),
    ("account.set_password", "GET"): Row(404, 409, 409, 409, 409, args={"token": "forged"}),
    ("account.set_password", "POST"): Row(404, 409, 409, 409, 409, args={"token": "forged"}),
    # An improvement's audit trail follows the improvement.
    ("audit.improvement", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="draft"),
}


# One idea, many places (issue 22): anyone who may read an improvement may try it in a team
# they register in (Treasury has none: 403 after the record is found); a published result
# may be adopted from anywhere (its row is `test_adoption.py`'s). An idea's page, its forest
# plot and its CSV open for anyone who may read one of its places; the public idea page is
# the register's, for everybody.
MATRIX |= {
    ("improvements.adopt_idea", "GET"): Row(
        SIGN_IN, (200, NF), (200, NF), FB, 200, state="running"
    ),
    ("improvements.adopt_idea", "POST"): Row(
        SIGN_IN, (422, NF), (422, NF), FB, 422, state="running"
    ),
    ("ideas.idea", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("ideas.forest_plot", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("ideas.pooled_csv", "GET"): Row(SIGN_IN, (200, NF), (200, NF), 200, 200, state="running"),
    ("public.idea", "GET"): Row(200, 200, 200, 200, 200, state="published"),
    # Which ideas spread, and their savings: Treasury's area.
    ("dashboards.treasury_ideas", "GET"): Row(SIGN_IN, FB, FB, 200, 200),
    ("dashboards.treasury_ideas_csv", "GET"): Row(SIGN_IN, FB, FB, 200, 200),
    ("public.idea_forest_plot", "GET"): Row(200, 200, 200, 200, 200, state="published"),
}


# Importing many improvements' rows from one file: for people who record data. The pending
# batches travel as ?batch= / form fields, scoped like everything else: another department's
# batch is "nothing waiting" (the check page sends you back, 303). Confirm and cancel answer
# 303 either way; tests/web/test_measurement_import.py proves another department's batch stays
# pending.
MATRIX |= {
    ("measurements.many.import_many", "GET"): Row(SIGN_IN, 200, 200, FB, 200),
    ("measurements.many.import_many", "POST"): Row(SIGN_IN, 422, 422, FB, 422),
    ("measurements.many.check_many", "GET"): Row(
        SIGN_IN, (200, 303), (200, 303), FB, 200, state="pending", batch_in_request=True
    ),
    ("measurements.many.confirm_many", "POST"): Row(
        SIGN_IN, (303, 303), (303, 303), FB, 303, state="pending", batch_in_request=True
    ),
    ("measurements.many.cancel_many", "POST"): Row(
        SIGN_IN, (303, 303), (303, 303), FB, 303, state="pending", batch_in_request=True
    ),
}


def route_methods(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app_without_database):
    routes = route_methods(app_without_database)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not stale, f"rows in MATRIX for routes that no longer exist: {stale}"
    cells = sum(len(SCOPES) if _scoped(row) else 1 for row in MATRIX.values()) * len(ROLES)
    print(f"access matrix: {len(MATRIX)} route-methods x {len(ROLES)} roles: {cells} cells")


def build_target(session, scope: str, state: str | None) -> dict[str, int]:
    """The records one scope's request points at, in the state the row asks for."""
    owner = person(session, OWNER_EMAIL[scope])
    values: dict[str, int] = {
        "department_id": owner.department_id,
        "team_id": owner.team_id,
        "user_id": owner.id,
    }
    if state is None:
        return values
    improvement = workflow.create_improvement(
        owner, owner.team, plan(title=f"Access matrix {scope} {state}")
    )
    session.flush()
    if state in ("running", "submitted", "pending", "approved", "published"):
        submit = state in ("submitted", "approved", "published")
        # Six rows a phase: the public register shows no group with fewer than five.
        before, after = [12, 11, 13, 12, 14, 11], [9, 8, 10, 9, 8, 10]
        start_with_data(owner, improvement, before, after, submit=submit)
    if state in ("approved", "published"):
        manager = person(session, MANAGER_EMAIL[scope])
        decide(manager, improvement, Decision.APPROVED, "")
    if state == "published":
        publish(manager, improvement, "Renewal letters now take less time to complete.")
    if state == "running":
        values["note_id"] = add_note(owner, improvement, date(2026, 3, 1), "New script").id
        values["number"] = start_cycle(
            owner, improvement, plan="Try it", prediction="Better", started_on=date(2026, 5, 1)
        ).number
    batch = None
    if state == "pending":
        batch = record_batch(
            owner, improvement, rows("after", [7]), source=BatchSource.CSV, pending=True
        )
    elif state != "draft":
        batch = improvement.batches[0]
    session.commit()
    values["improvement_id"] = improvement.id
    if batch is not None:
        values["batch_id"] = batch.id
        values["measurement_id"] = batch.measurements[0].id
    return values


def token_id(session, scope: str, role: str) -> int:
    """A token "own" to the signed-in person (the scope owner's for anonymous visitors), or,
    for "other", another department's member's."""
    email = DEMO_LOGINS[role] if scope == "own" and role != "anonymous" else OWNER_EMAIL[scope]
    return create_token(person(session, email), f"matrix {scope}", 30).token.id


STATES = (None, "draft", "running", "submitted", "pending", "approved", "published")


@pytest.fixture(scope="module")
def targets(app) -> Iterator[dict[tuple[str, str | None, str], dict[str, int]]]:
    """Every cell's records, by (scope, state, role), built once per backend in a transaction
    that outlives the module's tests (building them took most of each cell's time); each test
    runs in a savepoint of it (`db` below), so a request that changes them changes them for
    that test alone."""
    with rolled_back(app) as isolated:
        with app.app_context():
            session = isolated.session
            built = {
                (scope, state): build_target(session, scope, state)
                for scope in SCOPES
                for state in STATES
            }
            tokens = {
                (scope, role): token_id(session, scope, role) for scope in SCOPES for role in ROLES
            }
            session.commit()
            session.remove()
        yield {
            (scope, state, role): {**values, "token_id": tokens[scope, role]}
            for (scope, state), values in built.items()
            for role in ROLES
        }


@pytest.fixture
def db(app, targets) -> Iterator:
    """This module's tests in a savepoint of `targets`' transaction (not a new one of their
    own, which could not see the records)."""
    with savepoint(app):
        yield database


def url_for_cell(app, endpoint: str, method: str, values: dict[str, Any]) -> str:
    rule = next(
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint == endpoint and method in rule.methods
    )
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


CASES = [
    pytest.param(endpoint, method, role, id=f"{endpoint}-{method}-{role}")
    for (endpoint, method) in sorted(MATRIX)
    for role in ROLES
]


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_access(app, session, client, targets, endpoint, method, role):
    row = MATRIX[(endpoint, method)]
    headers = {}
    if role != "anonymous" and endpoint.startswith("api_") and not endpoint.startswith("api_tok"):
        secret = create_token(person(session, DEMO_LOGINS[role]), "matrix", 30).secret
        session.commit()
        headers["Authorization"] = f"Bearer {secret}"
    elif role != "anonymous":
        assert sign_in(client, DEMO_LOGINS[role]).status_code == 303
    scopes = SCOPES if _scoped(row) else ("own",)
    seen = {}
    # The other department first, so a successful own-department write cannot hide it.
    for scope in reversed(scopes):
        values = {**targets[scope, row.state, role], **row.args}
        path = url_for_cell(app, endpoint, method, values)
        extra: dict[str, Any] = {}
        if row.batch_in_request:
            key = "query_string" if method == "GET" else "data"
            extra[key] = {"batch": values["batch_id"]}
        response = client.open(path, method=method, headers=headers, json=row.json, **extra)
        response.close()
        seen[scope] = (path, response.status_code)
    expected = {scope: row.expected(role, scope) for scope in scopes}
    assert {scope: status for scope, (_, status) in seen.items()} == expected, seen


def _scoped(row: Row) -> bool:
    return any(isinstance(getattr(row, role), tuple) for role in ROLES)


def test_departments_in_the_matrix_differ(session):
    own = person(session, OWNER_EMAIL["own"])
    other = person(session, OWNER_EMAIL["other"])
    assert own.department_id != other.department_id
    manager = person(session, DEMO_LOGINS["manager"])
    assert manager.department_id == own.department_id
    assert session.get(Department, other.department_id).code == "REV"
