"""The idea's forest plot and its table of numbers, for the staff and the public pages alike:
the department dashboard's forest plot (`charts.forest`), on the idea's common scale."""

from __future__ import annotations

from dataclasses import replace

from gains import numbers
from gains.charts.forest import ForestRow, forest_plot_svg
from gains.exports import Column, Table, pounds
from gains.services.ideas.pooling import IdeaPooling
from gains.services.ideas.spread import SpreadIdea

POOLED_COLUMNS = (
    Column("Improvement", "number", key="improvement_id"),
    Column("Reference", key="reference"),
    Column("Title", key="title"),
    Column("Team", key="team"),
    Column("Department", key="department"),
    Column("Scale", key="scale"),
    Column("Effect (positive is better)", "number", key="effect"),
    Column("Interval low", "number", key="ci_low"),
    Column("Interval high", "number", key="ci_high"),
    Column("Variance", "number", key="variance"),
    Column("Places pooled (k)", "number", key="k"),
    Column("Interval", key="ci_method"),
    Column("Prediction interval low", "number", key="pi_low"),
    Column("Prediction interval high", "number", key="pi_high"),
    Column("Between-place variance (τ²)", "number", key="tau2"),
    Column("I² (%)", "number", key="i2"),
)


def pooled_table(pooling: IdeaPooling) -> Table:
    """One row per place, then the pooled row (its k, intervals, τ² and I²), on the idea's
    scale: relative change as a fraction (0.1 is 10% better), or Hedges' g."""
    rows: list[list] = [
        [
            i.improvement_id,
            i.reference,
            i.title,
            i.team,
            i.department,
            pooling.scale,
            i.effect,
            *i.ci,
            i.variance,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
        for i in pooling.items
    ]
    result = pooling.result
    if result is not None:
        rows.append(
            [
                None,
                None,
                "Pooled",
                None,
                None,
                pooling.scale,
                result.estimate,
                result.ci_low,
                result.ci_high,
                result.se**2,
                result.k,
                pooling.ci_method_name,
                result.pi_low,
                result.pi_high,
                result.tau2,
                result.i2,
            ]
        )
    return Table("idea-pooled", "The idea's results pooled", POOLED_COLUMNS, rows)


def _in_percent(value: float) -> float:
    return 100.0 * value


def idea_forest_svg(pooling: IdeaPooling, where: str) -> str:
    """The forest plot of the idea's places; relative change drawn in per cent."""
    scale = _in_percent if pooling.is_relative else float
    rows = [
        # Labelled by reference: the font has no glyph for some characters a title may hold;
        # the table beside the plot gives each reference's title, team and department.
        ForestRow(i.reference, scale(i.effect), *map(scale, i.ci))
        for i in pooling.items
    ]
    result = pooling.result
    if result is not None and pooling.is_relative:
        result = replace(
            result,
            **{
                name: _in_percent(getattr(result, name))
                for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
            },
        )
    label = "Relative change (%)" if pooling.is_relative else "Hedges' g"
    summary = ""
    if result is not None:
        shown = numbers.with_interval(result.estimate, result.ci_low, result.ci_high)
        summary = (
            f", pooled: {shown[0]} ({shown[1]} to {shown[2]}, {pooling.ci_method_name} interval)"
        )
    return forest_plot_svg(
        rows,
        result,
        title=f"Forest plot of the idea “{pooling.title}”, {where}",
        description=(
            f"{label}, positive is better, with 95% intervals for {len(rows)} places that "
            f"tried the idea{summary}."
        ),
        effect_label=label,
    )


SPREAD_COLUMNS = (
    Column("Idea (its original)", "number", key="original_id"),
    Column("Title", key="title"),
    Column("First tried in", key="department"),
    Column("Adoptions", "number", key="adoptions"),
    Column("Departments", "number", key="departments"),
    Column("Scale", key="scale"),
    Column("Places pooled (k)", "number", key="k"),
    Column("Pooled effect", "number", key="pooled"),
    Column("Interval low", "number", key="ci_low"),
    Column("Interval high", "number", key="ci_high"),
    Column("Prediction interval low", "number", key="pi_low"),
    Column("Prediction interval high", "number", key="pi_high"),
    Column("Claimed a year", "gbp", key="claimed"),
    Column("Validated a year, as approved", "gbp", key="validated"),
    Column("Validated a year, shrunk", "gbp", key="validated_shrunk"),
    Column("Shrunk band: low", "gbp", key="validated_shrunk_low"),
    Column("Shrunk band: high", "gbp", key="validated_shrunk_high"),
)


def spread_table(ideas: list[SpreadIdea]) -> Table:
    """Treasury's ideas that spread, one row each: its pooled effect (blank below k = 3) and
    its savings summed over its places, claimed and validated as the Treasury totals are."""
    rows = []
    for idea in ideas:
        result = idea.pooling.result
        pooled = (
            [
                result.k,
                result.estimate,
                result.ci_low,
                result.ci_high,
                result.pi_low,
                result.pi_high,
            ]
            if result
            else [len(idea.pooling.items), None, None, None, None, None]
        )
        shrunk = idea.validated.shrunk
        rows.append(
            [
                idea.original_id,
                idea.title,
                idea.department,
                idea.adoptions,
                idea.departments,
                idea.pooling.scale,
                *pooled,
                pounds(idea.claimed.total_pence),
                pounds(idea.validated.raw.total_pence),
                pounds(shrunk.total_pence),
                pounds(shrunk.band_low_pence),
                pounds(shrunk.band_high_pence),
            ]
        )
    return Table("ideas-spread", "Ideas that spread", SPREAD_COLUMNS, rows)
