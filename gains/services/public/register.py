"""What the public register shows: published improvements as aggregates, never raw data.

Every row comes through `publication.on_the_register()` (the one rule for what is public).
The figures are the *validated* ones, from the approval snapshot the publication names. No
personal data leave here: no user names, no unit references, no measurements; only counts,
means and intervals, and any figure with fewer than `MIN_UNITS` measurements behind one of
its cells is suppressed (and flagged, so the pages can say so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, false, or_

from gains.bounds import can_match_stored_text
from gains.charts.improvement import CellValues
from gains.extensions import db
from gains.models import (
    Department,
    Design,
    Direction,
    Improvement,
    ImprovementKind,
    Pillar,
    Publication,
    Review,
)
from gains.paging import paginate_rows
from gains.services.estimates.charts import CellRow, distribution_cells, distributions_chart
from gains.services.estimates.current import ESTIMATION_METHODS, measurements_frame
from gains.services.estimates.plain_english import PlainResult, describe_change, describe_saving
from gains.services.public.publication import on_the_register
from gains.stats.evidence import level_label, level_of_document
from gains.stats.inference import DEFAULT_LEVEL, NORMAL_Z
from gains.stats.money import SavingItem, SavingsTotal, cumulative_by_month, total_savings

MIN_UNITS = 5  # cells with fewer measurements behind them are not shown
COUNT_KEYS = ("n_treatment_before", "n_treatment_after", "n_control_before", "n_control_after")


@dataclass(frozen=True)
class RegisterFilters:
    text: str = ""
    department_id: int | None = None
    pillar: Pillar | None = None
    kind: ImprovementKind | None = None
    design: Design | None = None
    year: int | None = None  # the year the change went live

    def apply(self, stmt: Select) -> Select:
        words = self.text.strip()
        if words and not can_match_stored_text(words):
            return stmt.where(false())  # a search for NUL would fail, not find nothing
        if words:
            stmt = stmt.where(
                or_(
                    Improvement.title.icontains(words, autoescape=True),
                    Publication.summary.icontains(words, autoescape=True),
                    Improvement.metric_name.icontains(words, autoescape=True),
                    Department.name.icontains(words, autoescape=True),
                )
            )
        if self.department_id is not None:
            stmt = stmt.where(Improvement.department_id == self.department_id)
        for column, value in (
            (Improvement.pillar, self.pillar),
            (Improvement.kind, self.kind),
            (Improvement.design, self.design),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if self.year is not None:
            stmt = stmt.where(
                Improvement.go_live_on >= date(self.year, 1, 1),
                Improvement.go_live_on < date(self.year + 1, 1, 1),
            )
        return stmt

    @property
    def active(self) -> bool:
        return any(
            (self.text.strip(), self.department_id, self.pillar, self.kind, self.design, self.year)
        )


@dataclass(frozen=True)
class PublicGain:
    """One improvement as the public sees it."""

    improvement_id: int
    title: str
    summary: str
    department_id: int
    department_name: str
    department_code: str
    pillar: Pillar
    kind: ImprovementKind
    design: Design
    method_name: str
    method_why: str
    metric_name: str
    metric_unit: str
    direction: Direction
    unit_of_observation: str
    go_live_on: date | None
    ended_on: date | None
    approved_on: date
    published_at: datetime
    n_before: int
    n_after: int
    cashable: bool
    implementation_cost_pence: int
    level: float
    suppressed: bool  # fewer than MIN_UNITS behind a cell: no estimate or saving shown
    effect: float | None = None
    effect_ci_low: float | None = None
    effect_ci_high: float | None = None
    p_value: float | None = None
    saving: SavingItem | None = None
    saving_low_pence: int | None = None
    saving_high_pence: int | None = None
    result: PlainResult | None = None
    saving_words: str = ""
    evidence_level: int | None = None  # of the approved estimate, 2-5 (`stats.evidence`)
    evidence_label: str | None = None
    # The Green Book appraisal as approved (the snapshot's: present values and NPV in pence,
    # BCR, payback month), None for an approval made before appraisals were recorded.
    appraisal: dict[str, Any] | None = field(default=None, compare=False)
    # Kept for the public chart's labels; not shown.
    improvement: Improvement | None = field(default=None, repr=False, compare=False)

    @property
    def npv_pence(self) -> int | None:
        return self.appraisal["npv_pence"] if self.appraisal else None


def smallest_cell(estimate: dict[str, Any]) -> int:
    """The fewest measurements behind any cell (phase × group) the estimate used."""
    cells = [estimate.get(key) for key in COUNT_KEYS]
    counts = [n for n in cells if n] or [
        n for n in (estimate.get("n_before"), estimate.get("n_after")) if n
    ]
    return min(counts, default=0)


def public_gain(improvement: Improvement, publication: Publication, review: Review, department):
    snapshot = review.snapshot or {}
    estimate = snapshot.get("estimate") or {}
    saving = snapshot.get("annual_saving") or {}
    method = estimate.get("method", "")
    method_name, method_why = ESTIMATION_METHODS.get(method, (method, ""))
    suppressed = smallest_cell(estimate) < MIN_UNITS
    level = float(estimate.get("level") or DEFAULT_LEVEL)
    base = dict(
        improvement_id=improvement.id,
        title=improvement.title,
        summary=publication.summary,
        department_id=department.id,
        department_name=department.name,
        department_code=department.code,
        pillar=improvement.pillar,
        kind=improvement.kind,
        design=improvement.design,
        method_name=method_name,
        method_why=method_why,
        metric_name=improvement.metric_name,
        metric_unit=improvement.metric_unit,
        direction=improvement.direction,
        unit_of_observation=improvement.unit_of_observation,
        go_live_on=improvement.go_live_on,
        ended_on=improvement.ended_on,
        approved_on=review.decided_at.date(),
        published_at=publication.published_at,
        n_before=int(estimate.get("n_before") or 0),
        n_after=int(estimate.get("n_after") or 0),
        cashable=bool((snapshot.get("money") or {}).get("cashable", improvement.cashable)),
        implementation_cost_pence=improvement.implementation_cost_pence,
        level=level,
        suppressed=suppressed,
        evidence_level=level_of_document(estimate) if estimate else None,
        evidence_label=level_label(level_of_document(estimate), method) if estimate else None,
        improvement=improvement,
    )
    if suppressed or estimate.get("effect") is None or not saving:
        return PublicGain(**base | {"suppressed": True})
    return PublicGain(
        **base,
        effect=estimate["effect"],
        effect_ci_low=estimate["ci_low"],
        effect_ci_high=estimate["ci_high"],
        p_value=estimate.get("p_value"),
        saving=SavingItem(
            annual_saving_pence=saving["annual_saving_pence"],
            se_pence=saving["se_pence"],
            ci_excludes_zero=saving["ci_excludes_zero"],
            cashable=base["cashable"],
        ),
        saving_low_pence=saving["ci_low_pence"],
        saving_high_pence=saving["ci_high_pence"],
        appraisal=snapshot.get("appraisal"),
        result=describe_change(
            estimate["effect"],
            estimate["ci_low"],
            estimate["ci_high"],
            higher_is_better=improvement.direction is Direction.HIGHER,
            unit=improvement.metric_unit,
            per=improvement.unit_of_observation,
            level=level,
        ),
        saving_words=describe_saving(
            saving["annual_saving_pence"], saving["ci_low_pence"], saving["ci_high_pence"]
        ),
    )


def _ordered(stmt: Select) -> Select:
    return stmt.order_by(Publication.published_at.desc(), Improvement.id.desc())


def register_entries(filters: RegisterFilters | None = None) -> list[PublicGain]:
    """Every public improvement matching the filters, newest publication first."""
    stmt = _ordered((filters or RegisterFilters()).apply(on_the_register()))
    return [public_gain(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class RegisterPage:
    entries: list[PublicGain]
    total: int
    page: int
    pages: int


def register_page(filters: RegisterFilters, page: int, per_page: int = 20) -> RegisterPage:
    listed = paginate_rows(_ordered(filters.apply(on_the_register())), page, per_page)
    entries = [public_gain(*row) for row in listed.items]
    return RegisterPage(entries, listed.total, listed.page, listed.pages)


def public_entry(improvement_id: int) -> PublicGain | None:
    """One improvement, only if it is public now."""
    row = db.session.execute(on_the_register().where(Improvement.id == improvement_id)).first()
    return public_gain(*row) if row else None


@dataclass(frozen=True)
class FilterChoices:
    departments: list[tuple[int, str]]
    years: list[int]


def filter_choices() -> FilterChoices:
    """Departments and go-live years that have something public (nothing else is named)."""
    rows = db.session.execute(
        on_the_register().with_only_columns(Department.id, Department.name, Improvement.go_live_on)
    ).all()
    departments = sorted({(row[0], row[1]) for row in rows}, key=lambda pair: pair[1])
    years = sorted({row[2].year for row in rows if row[2] is not None}, reverse=True)
    return FilterChoices(departments, years)


def public_department(department_id: int) -> Department | None:
    """The department, only if it has something public."""
    row = db.session.execute(
        on_the_register().where(Improvement.department_id == department_id).limit(1)
    ).first()
    return row[3] if row else None


@dataclass(frozen=True)
class PillarTotal:
    pillar: Pillar
    improvements: int
    suppressed: int
    annual: SavingsTotal
    cumulative_pence: int
    cumulative_low_pence: int
    cumulative_high_pence: int


@dataclass(frozen=True)
class Headline:
    today: date
    pillars: list[PillarTotal]
    total: PillarTotal | None
    improvements: int
    suppressed: int


def _pillar_total(pillar, entries: list[PublicGain], today: date) -> PillarTotal:
    shown = [entry for entry in entries if entry.saving is not None]
    live = [entry for entry in shown if entry.go_live_on is not None]
    series = cumulative_by_month(
        [entry.go_live_on for entry in live],
        [entry.ended_on for entry in live],
        [entry.saving.annual_saving_pence for entry in live],
        [entry.saving.se_pence for entry in live],
        [entry.implementation_cost_pence for entry in live],
        today,
    )
    # The figure at the latest month: where each improvement's cumulative saving stands now.
    net = float(series.net_pence[-1]) if series.months else 0.0
    spread = NORMAL_Z * math.sqrt(series.variance[-1]) if series.months else 0.0
    return PillarTotal(
        pillar=pillar,
        improvements=len(entries),
        suppressed=len(entries) - len(shown),
        annual=total_savings(entry.saving for entry in shown),
        cumulative_pence=round(net),
        cumulative_low_pence=round(net - spread),
        cumulative_high_pence=round(net + spread),
    )


def headline(today: date, entries: list[PublicGain] | None = None) -> Headline:
    """Validated savings of everything public, by PVF pillar: a year's worth, and net
    cumulative since go-live (cost deducted once at go-live, as Treasury's dashboard)."""
    entries = register_entries() if entries is None else entries
    pillars = [
        _pillar_total(pillar, [e for e in entries if e.pillar is pillar], today)
        for pillar in Pillar
    ]
    return Headline(
        today=today,
        pillars=pillars,
        total=_pillar_total(None, entries, today) if entries else None,
        improvements=len(entries),
        suppressed=sum(1 for entry in entries if entry.suppressed),
    )


@dataclass(frozen=True)
class PublicCell:
    """A (group, phase) cell's mean and interval, or only its suppression."""

    label: str
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def suppressed(self) -> bool:
        return self.mean is None


def public_cells(improvement_id: int) -> list[PublicCell]:
    """Each cell's n, mean and 95% interval; cells under MIN_UNITS keep only their n.

    The same figures as the signed-in chart's table (`distribution_cells`), minus the values.
    """
    frame = measurements_frame(improvement_id)
    if frame.empty:
        return []
    return [
        PublicCell(row.cell.label, row.n, None, None, None)
        if row.n < MIN_UNITS
        else PublicCell(row.cell.label, row.n, row.cell.mean, row.cell.ci_low, row.cell.ci_high)
        for row in distribution_cells(frame)
    ]


def public_chart_svg(entry: PublicGain, cells: list[PublicCell]) -> str | None:
    """The chart of the shown cells' means and intervals: no single measurement is drawn."""
    shown = [
        CellRow(CellValues(cell.label, [], cell.mean, cell.ci_low, cell.ci_high), cell.n)
        for cell in cells
        if not cell.suppressed
    ]
    return distributions_chart(entry.improvement, shown) if shown else None
