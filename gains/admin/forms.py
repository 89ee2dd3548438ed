"""Forms for the administration pages."""

from __future__ import annotations

from datetime import date, datetime

from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from gains.bounds import DATE
from gains.form_fields import BoundedForm
from gains.models import Role
from gains.services.audit.log import SYSTEM_ACTOR, AuditFilters

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class DepartmentForm(BoundedForm):
    name = StringField(
        "Department name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the department's name"), Length(max=200)],
    )
    code = StringField(
        "Short code",
        widget=GovTextInput(),
        description="2 to 12 letters or digits, shown in lists and exports, for example DWP.",
        validators=[
            InputRequired("Enter the department's short code"),
            Regexp(
                r"^\s*[A-Za-z0-9]{2,12}\s*$",
                message="The short code must be 2 to 12 letters or digits",
            ),
        ],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class TeamForm(BoundedForm):
    name = StringField(
        "Team name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the team's name"), Length(max=200)],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


def forget_errors(form, keep: tuple[str, ...] = ()) -> None:
    """Drop a GET filter form's errors (a value that is not offered means "any")."""
    for field in form:
        if field.name not in keep:
            field.errors = []


def team_choices(teams) -> list[tuple[str, str]]:
    return [("", "No team (treasury and administrators only)")] + [
        (str(team.id), f"{team.department.code}: {team.name}") for team in teams
    ]


class UserFields(BoundedForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the person's name"), Length(max=200)],
    )
    role = RadioField(
        "Role",
        choices=Role.choices(),
        widget=GovRadioInput(),
        validators=[InputRequired("Select a role")],
    )
    team = SelectField(
        "Team",
        widget=GovSelect(),
        description="Members and managers must belong to a team; it decides their department.",
        default="",
    )

    def validate_team(self, field) -> None:
        if self.role.data in (Role.MEMBER, Role.MANAGER) and not field.data:
            raise ValidationError(
                f"Select a team: a {Role(self.role.data).label.lower()} must belong to one"
            )


class InviteForm(UserFields):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        description="They sign in with it; any email from Gains goes to it.",
        validators=[
            InputRequired("Enter the person's email address"),
            Regexp(
                EMAIL_SHAPE,
                message="Enter an email address in the correct format, like name@example.gov.uk",
            ),
            Length(max=254),
        ],
    )
    submit = SubmitField("Create the account and make an invitation link", widget=GovSubmitInput())


class UserEditForm(UserFields):
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ConfirmForm(BoundedForm):
    """A button that posts: the CSRF token is its only field."""


class UserFilterForm(BoundedForm):
    """A GET form: the list works as plain links and bookmarks."""

    class Meta:
        csrf = False

    department = SelectField("Department", widget=GovSelect(), default="")
    role = SelectField(
        "Role", widget=GovSelect(), default="", choices=[("", "Any role"), *Role.choices()]
    )
    status = SelectField(
        "Status",
        widget=GovSelect(),
        default="",
        choices=[("", "Active or not"), ("active", "Active"), ("deactivated", "Deactivated")],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def arguments(self) -> dict[str, str]:
        return {
            name: str(self[name].data)
            for name in ("department", "role", "status")
            if self[name].data
        }


def parse_day(text: str) -> date:
    """YYYY-MM-DD or DD/MM/YYYY (what people type and what UK spreadsheets show)."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class AuditFilterForm(BoundedForm):
    class Meta:
        csrf = False

    department = SelectField("Department", widget=GovSelect(), default="")
    actor = SelectField("Who", widget=GovSelect(), default="")
    entity_type = SelectField("Record type", widget=GovSelect(), default="")
    action = SelectField("Action", widget=GovSelect(), default="")
    date_from = StringField("From", widget=GovTextInput(), description="For example, 1/4/2026")
    date_to = StringField(
        "To (inclusive)", widget=GovTextInput(), description="For example, 30/11/2026"
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_date_from(self, field) -> None:
        self._check_day(field)

    def validate_date_to(self, field) -> None:
        self._check_day(field)
        if not (field.data or "").strip() or not (self.date_from.data or "").strip():
            return
        try:
            start, end = parse_day(self.date_from.data), parse_day(field.data)
        except ValueError:
            return  # the bad date has its own message
        if end < start:
            raise ValidationError("The end date must be the same as or after the start date")

    @staticmethod
    def _check_day(field) -> None:
        if field.data and field.data.strip():
            try:
                day = parse_day(field.data)
            except ValueError:
                raise ValidationError(
                    f"{field.label.text} must be a real date, like 1/4/2026"
                ) from None
            problem = DATE.problem(day)
            if problem:
                raise ValidationError(problem)

    def filters(self) -> AuditFilters:
        """What the query filters by; a value that is not offered, or a bad date, is ignored
        (the page says why through the form's errors)."""

        def offered(field) -> str | None:
            values = {value for value, _ in field.choices}
            return field.data if field.data and field.data in values else None

        def day(field) -> date | None:
            if field.errors or not (field.data or "").strip():
                return None
            return parse_day(field.data)

        department = offered(self.department)
        actor = offered(self.actor)
        return AuditFilters(
            department_id=int(department) if department else None,
            actor=actor if actor == SYSTEM_ACTOR else (int(actor) if actor else None),
            entity_type=offered(self.entity_type),
            action=offered(self.action),
            date_from=day(self.date_from),
            date_to=day(self.date_to),
        )

    def arguments(self) -> dict[str, str]:
        return {
            name: str(self[name].data)
            for name in ("department", "actor", "entity_type", "action", "date_from", "date_to")
            if self[name].data
        }
