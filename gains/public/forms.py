"""The public register's filters: a GET form, so every filtered view is a plain link."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from wtforms import SelectField, StringField

from gains.form_fields import BoundedForm
from gains.models import Design, ImprovementKind, Pillar
from gains.services.public.register import FilterChoices, RegisterFilters


class RegisterFilterForm(BoundedForm):
    class Meta:
        csrf = False

    q = StringField("Search", widget=GovTextInput())
    department = SelectField("Department", widget=GovSelect(), default="")
    pillar = SelectField(
        "Public Value Framework pillar",
        widget=GovSelect(),
        default="",
        choices=[("", "Any pillar"), *Pillar.choices()],
    )
    kind = SelectField(
        "Kind",
        widget=GovSelect(),
        default="",
        choices=[("", "Any kind"), *ImprovementKind.choices()],
    )
    design = SelectField(
        "How it was tested",
        widget=GovSelect(),
        default="",
        choices=[("", "Any design"), *Design.choices()],
    )
    year = SelectField("Year it went live", widget=GovSelect(), default="")

    def offer(self, choices: FilterChoices) -> None:
        self.department.choices = [("", "Any department")] + [
            (str(department_id), name) for department_id, name in choices.departments
        ]
        self.year.choices = [("", "Any year")] + [(str(year), str(year)) for year in choices.years]

    def filters(self) -> RegisterFilters:
        """The filters asked for; values not on offer (a stale bookmark) count as "any"."""

        def offered(field) -> int | None:
            value = field.data or ""
            return int(value) if value in {key for key, _ in field.choices if key} else None

        return RegisterFilters(
            text=(self.q.data or "").strip()[:200],
            department_id=offered(self.department),
            pillar=Pillar.parse(self.pillar.data),
            kind=ImprovementKind.parse(self.kind.data),
            design=Design.parse(self.design.data),
            year=offered(self.year),
        )
