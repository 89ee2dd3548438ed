"""Recompute-all from aggregates equals the per-improvement estimates, document for document."""

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete as sqlalchemy_delete
from sqlalchemy import func, select

from gains.models import BatchSource, Design, Direction, Estimate, Improvement
from gains.services.estimates.documents import NoEstimate, estimate_document
from gains.services.estimates.recompute import compute_estimates, recompute_all
from gains.services.improvements import workflow
from gains.services.measurements.recording import record_batch
from tests.support.documents import REL, assert_same_document
from tests.support.factories import person, plan


@pytest.fixture
def member(session):
    return person(session, "member")


@pytest.fixture
def make(session, member):
    """`make(design, rows, **plan)`: a running improvement with one active batch of rows."""
    made = []

    def _make(design, rows, **changes):
        improvement = workflow.create_improvement(
            member,
            member.team,
            plan(title=f"Recompute case {len(made)}", design=design, **changes),
        )
        session.flush()
        workflow.start(member, improvement)
        if rows:
            record_batch(member, improvement, rows, source=BatchSource.FORM)
        session.flush()
        made.append(improvement)
        return improvement

    return _make


def rows(phase, values, group="treatment", units=None):
    units = units or [None] * len(values)
    return [
        {"phase": phase, "group": group, "value": value, "unit_ref": unit}
        for value, unit in zip(values, units, strict=True)
    ]


CONTROL_GROUP_CELLS = (
    ("before", "treatment"),
    ("after", "treatment"),
    ("before", "control"),
    ("after", "control"),
)


def control_group_rows(*units):
    """Rows for treated before, treated after, control before, control after: one row per
    unit label given (None: a row without a unit)."""
    return [
        row
        for (phase, group), labels in zip(CONTROL_GROUP_CELLS, units, strict=True)
        for row in rows(phase, normal(len(labels)), group, units=list(labels))
    ]


def compare(session, improvements):
    ids = [improvement.id for improvement in improvements]
    fast = compute_estimates(ids, per_improvement=False)
    for improvement in improvements:
        slow = estimate_document(improvement)
        if improvement.id in fast.per_improvement_ids:
            continue
        assert_same_document(fast.documents[improvement.id], slow, f"#{improvement.id}")
    return fast


def test_every_demo_improvement_matches_the_per_improvement_path(session):
    improvements = session.scalars(select(Improvement).order_by(Improvement.id)).all()
    fast = compare(session, improvements)
    assert sum(fast.methods.values()) >= 5  # the demo exercises the fast path, not only fallbacks
    designs = {i.id: i.design for i in improvements}
    assert {designs[i] for i in fast.per_improvement_ids} <= {
        Design.TIME_SERIES,
        Design.CONTROL_GROUP,
    }


RNG = np.random.default_rng(20261128)


def normal(n, mean=50.0, sd=8.0):
    return [round(float(x), 3) for x in RNG.normal(mean, sd, n)]


def test_edge_cases_have_the_same_outcome_class_message_and_warnings(session, make):
    cases = [
        # too few rows: one before row
        make(Design.BEFORE_AFTER, rows("before", [3.0]) + rows("after", [4.0, 5.0, 6.0])),
        # no rows at all
        make(Design.BEFORE_AFTER, []),
        # only control rows with a before/after design: no treatment rows to compare
        make(Design.BEFORE_AFTER, rows("before", [1.0, 2.0], "control")),
        # zero variance everywhere
        make(Design.BEFORE_AFTER, rows("before", [7.0] * 6) + rows("after", [7.0] * 6)),
        # zero variance on one side, small sample
        make(Design.BEFORE_AFTER, rows("before", [7.0] * 3) + rows("after", [8.0, 9.0, 10.0])),
        # strong outlier after; a yes/no metric with a rare event (no outlier by rule)
        make(Design.BEFORE_AFTER, rows("before", normal(20)) + rows("after", [*normal(19), 500])),
        make(Design.BEFORE_AFTER, rows("before", [0.0] * 30 + [100.0]) + rows("after", [0.0] * 31)),
        # counterfactual mean around 0: no relative change
        make(Design.BEFORE_AFTER, rows("before", normal(12, 0.0, 5.0)) + rows("after", normal(12))),
        # planned effect: under-powered, and higher is better
        make(
            Design.BEFORE_AFTER,
            rows("before", normal(8)) + rows("after", normal(8)),
            expected_effect=0.5,
            direction=Direction.HIGHER,
        ),
        # paired with a dropped unit, and paired with too few pairs (downgraded to Welch)
        make(
            Design.PAIRED,
            rows("before", normal(6), units=["a", "b", "c", "d", "e", "z"])
            + rows("after", normal(7), units=["a", "b", "c", "d", "e", "a", "y"]),
        ),
        make(
            Design.PAIRED,
            rows("before", normal(5), units=["a", "b", "c", "d", "e"])
            + rows("after", normal(5), units=["a", "q", "r", "s", "t"]),
        ),
        make(Design.PAIRED, rows("before", normal(5)) + rows("after", normal(1))),
        # paired differences with an outlier, and all differences equal (zero variance)
        make(
            Design.PAIRED,
            rows("before", [10.0] * 12, units=list("abcdefghijkl"))
            + rows("after", [11.0] * 11 + [90.0], units=list("abcdefghijkl")),
        ),
        make(
            Design.PAIRED,
            rows("before", [10.0, 20.0, 30.0, 40.0], units=list("abcd"))
            + rows("after", [12.0, 22.0, 32.0, 42.0], units=list("abcd")),
        ),
        # difference-in-differences, treatment vs control, and the downgrades
        make(
            Design.CONTROL_GROUP,
            rows("before", normal(9))
            + rows("after", normal(10, 45))
            + rows("before", normal(8), "control")
            + rows("after", normal(11), "control"),
        ),
        make(
            Design.CONTROL_GROUP,
            rows("after", normal(9, 45)) + rows("after", normal(10), "control"),
        ),
        make(
            Design.CONTROL_GROUP, rows("after", normal(1, 45)) + rows("after", normal(4), "control")
        ),
        make(
            Design.CONTROL_GROUP,
            rows("before", normal(6))
            + rows("after", normal(6))
            + rows("after", normal(1), "control"),
        ),
        make(
            Design.CONTROL_GROUP,
            rows("before", normal(4), units=list("abcd"))
            + rows("after", normal(4), units=list("abcd")),
        ),
        # DiD with unique units (no clustering) and with repeated units (per-improvement path)
        make(Design.CONTROL_GROUP, control_group_rows("abcde", "fghij", "klmno", "pqrst")),
        # ... unique units beside rows without one: the rows analysis, no unit warning
        make(
            Design.CONTROL_GROUP,
            control_group_rows("abcde", [None, "g", "h", None, "j"], [None] * 5, "pqrst"),
        ),
        make(Design.CONTROL_GROUP, control_group_rows("abcd", "abcd", "efgh", "efgh")),
        # ... repeated units and a row without one (left out, with a warning); units with two
        # rows each that never span both phases (rows clustered by unit)
        make(Design.CONTROL_GROUP, control_group_rows([*"abcd", None], "abcd", "efgh", "efgh")),
        make(Design.CONTROL_GROUP, control_group_rows("aabb", "ccdd", "eeff", "gghh")),
        # time series without dates: no estimate, from the weekly query as from the rows
        make(Design.TIME_SERIES, rows("before", normal(5)) + rows("after", normal(5))),
    ]
    fast = compare(session, cases)
    by_units = cases[-4:-1]
    assert set(fast.per_improvement_ids) == {case.id for case in by_units}
    assert isinstance(fast.documents[cases[-1].id], NoEstimate)
    analyses = [estimate_document(case)["details"]["analysis"] for case in by_units]
    assert analyses == ["change_scores", "change_scores", "clustered_rows"]
    without_unit = estimate_document(by_units[1])["warnings"]
    assert "rows_without_unit" in {warning["code"] for warning in without_unit}
    unique_units = fast.documents[cases[-5].id]
    assert unique_units["details"]["analysis"] == "rows" and unique_units["cov_type"] == "HC3"
    reasons = {fast.documents[c.id].reason for c in cases[:3]}
    assert reasons == {
        "Not enough data for an estimate yet: each side needs at least 2 observations.",
        "There are no measurements yet.",
    }
    estimates = [fast.documents[c.id] for c in cases[3:-4]]
    assert isinstance(estimates[13], NoEstimate)  # treatment vs control with 1 treated row
    estimates = [document for document in estimates if not isinstance(document, NoEstimate)]
    methods = {document["method"] for document in estimates}
    assert methods == {"welch", "paired", "did", "treatment_vs_control"}
    warnings = {w["code"] for document in estimates for w in document["warnings"]}
    assert warnings >= {
        "zero_variance",
        "small_sample",
        "strong_outliers",
        "denominator_ci_includes_zero",
        "underpowered_for_planned_effect",
        "dropped_unpaired_units",
        "design_downgraded",
        "no_control_group",
    }


def weekly_rows(weeks_before, weeks_after, *, go_live=date(2026, 3, 4), skip=(), group="treatment"):
    """Three dated rows a week around a mid-week go-live (that week splits into two points),
    an AR(1)-like wander, a step at go-live; ``skip`` lists weeks without data."""
    level, made = 0.0, []
    for week in range(-weeks_before, weeks_after):
        level = 0.6 * level + float(RNG.normal())
        if week in skip:
            continue
        for day in (-2, 0, 1):
            observed = go_live + timedelta(weeks=week, days=day)
            value = 40.0 + 0.2 * week + 3.0 * (observed >= go_live) + level + RNG.normal(0, 0.5)
            made.append(
                {
                    "phase": "after" if observed >= go_live else "before",
                    "group": group,
                    "value": round(value, 3),
                    "unit_ref": None,
                    "observed_on": observed,
                }
            )
    return made


def test_time_series_are_fitted_together_with_the_per_improvement_documents(session, make):
    """Issue 19 item 5: time series no longer go one by one; the batch is the function the
    per-improvement path calls with one series, so the documents agree to 1e-9."""
    undated = weekly_rows(10, 9)
    undated[4]["observed_on"] = None
    cases = [
        make(Design.TIME_SERIES, weekly_rows(12, 10, skip=(-5,)), expected_effect=2.0),
        make(Design.TIME_SERIES, undated, direction=Direction.LOWER),
        make(Design.TIME_SERIES, weekly_rows(5, 12)),  # too few weeks before: no estimate
        make(Design.TIME_SERIES, [{**row, "value": 7.0} for row in weekly_rows(9, 9)]),
    ]
    fast = compare(session, cases)
    assert fast.per_improvement_ids == [] and fast.methods["its"] == len(cases)
    documents = [fast.documents[case.id] for case in cases]
    assert [document["method"] for document in documents[:2]] == ["its", "its"]
    assert {"rows_without_date"} <= {w["code"] for w in documents[1]["warnings"]}
    assert documents[0]["n_before"] == 12 + 1 - 1  # 12 weeks, a week skipped, the split week
    assert "8 weekly points" in documents[2].reason
    assert "zero_variance" in {w["code"] for w in documents[3]["warnings"]}


def test_a_yearly_cycle_on_the_plan_fits_seasonal_terms_on_both_paths(session, make):
    """Issue 19 item 3: the plan's `seasonal` switch reaches the model on both paths; the
    batch fits the seasonal plans apart from the others, and the same documents come out."""
    seasonal = make(Design.TIME_SERIES, weekly_rows(60, 20), seasonal=True)
    plain = make(Design.TIME_SERIES, weekly_rows(60, 20))
    short_year = make(Design.TIME_SERIES, weekly_rows(30, 20), seasonal=True)
    fast = compare(session, [seasonal, plain, short_year])
    assert fast.methods["its"] == 3
    assert fast.documents[seasonal.id]["details"]["seasonal"] is True
    assert fast.documents[plain.id]["details"]["seasonal"] is False
    assert fast.documents[seasonal.id]["gain"] != fast.documents[plain.id]["gain"]
    refused = fast.documents[short_year.id]
    assert refused == estimate_document(short_year) and "52 weeks" in refused.reason


def test_time_series_with_control_rows_go_one_by_one_with_the_same_documents(session, make):
    """Issue 19 item 3: a time series with dated control rows is fitted on the weekly
    differences (evidence level 4); those need the rows, so recompute-all sends it the
    per-improvement way, and its document is the one a refresh stores."""
    undated_control = [{**row, "observed_on": None} for row in weekly_rows(10, 9, group="control")]
    controlled = make(
        Design.TIME_SERIES, weekly_rows(12, 10) + weekly_rows(12, 10, group="control")
    )
    only_control = make(Design.TIME_SERIES, weekly_rows(9, 9, group="control"))
    control_without_dates = make(Design.TIME_SERIES, weekly_rows(10, 9) + undated_control)
    alone = make(Design.TIME_SERIES, weekly_rows(10, 9))
    cases = [controlled, only_control, control_without_dates, alone]
    fast = compute_estimates([case.id for case in cases])
    assert fast.per_improvement_ids == [case.id for case in cases[:3]]
    for case in cases:
        slow = estimate_document(case)
        if isinstance(slow, NoEstimate):
            assert fast.documents[case.id] == slow
        else:
            assert_same_document(fast.documents[case.id], slow, f"#{case.id}")
    document = fast.documents[controlled.id]
    assert document["evidence_level"] == 4 and document["details"]["control_series"] is True
    assert document["details"]["n_control_weeks"] == 12 + 10 + 1  # the split week: two points
    assert "no_control_group" not in {w["code"] for w in document["warnings"]}
    reason = fast.documents[only_control.id].reason
    assert "0 before" in reason and "both groups" in reason
    for uncontrolled in (control_without_dates, alone):
        assert fast.documents[uncontrolled.id]["evidence_level"] == 3
        assert "control_series" not in fast.documents[uncontrolled.id]["details"]


def test_recompute_all_stores_what_refresh_would_and_replaces_the_current_version(session, make):
    improvement = make(Design.BEFORE_AFTER, rows("before", normal(10)) + rows("after", normal(10)))
    empty = make(Design.BEFORE_AFTER, [])
    stale = session.scalars(
        select(Estimate).where(
            Estimate.improvement_id == improvement.id,
            Estimate.data_version == improvement.data_version,
        )
    ).one()  # written by refresh_estimate when the batch was recorded
    stale_result = stale.result
    session.expunge(stale)

    recomputed = recompute_all([improvement.id, empty.id])
    session.flush()

    stored = session.scalars(
        select(Estimate).where(Estimate.improvement_id == improvement.id)
    ).all()
    assert len(stored) == 1 and stored[0].data_version == improvement.data_version
    assert_same_document(stored[0].result, stale_result)
    assert stored[0].effect == pytest.approx(stale_result["effect"], rel=REL)
    assert stored[0].n_before == 10 and stored[0].method == "welch"
    assert isinstance(recomputed.documents[empty.id], NoEstimate)
    assert (
        session.scalar(
            select(func.count()).select_from(Estimate).where(Estimate.improvement_id == empty.id)
        )
        == 0
    )
    assert not math.isnan(recomputed.seconds["total"])


def test_large_improvements_refresh_from_aggregates_with_the_same_document(session, monkeypatch):
    """Past AGGREGATE_PATH_ROWS the write path's refresh uses the aggregates (on both
    backends): the same result."""
    import gains.services.estimates.current as estimates

    improvements = session.scalars(
        select(Improvement).where(Improvement.data_version > 0).order_by(Improvement.id)
    ).all()
    slow = {improvement.id: estimate_document(improvement) for improvement in improvements}
    calls = []
    real = compute_estimates

    def counting(ids, **kwargs):
        calls.append(ids)
        return real(ids, **kwargs)

    monkeypatch.setattr(estimates, "AGGREGATE_PATH_ROWS", 0)
    monkeypatch.setattr(estimates, "compute_estimates", counting)
    session.execute(sqlalchemy_delete(Estimate))
    for improvement in improvements:
        fast = estimates.refresh_estimate(improvement)
        expected = slow[improvement.id]
        if isinstance(expected, NoEstimate):
            assert isinstance(fast, NoEstimate) and fast.reason == expected.reason
        else:
            assert_same_document(fast.result, expected, where=f"improvement {improvement.id}")
    assert len(calls) == len(improvements)


def test_the_bulk_write_stores_every_document_as_computed(session):
    """The estimates written in bulk (COPY text on PostgreSQL, executemany on SQLite) read
    back as the documents computed: warnings with their escapes, None, numbers, the time."""
    from gains.models.base import utcnow

    began = utcnow()
    recomputed = recompute_all()
    session.flush()
    session.expire_all()
    stored = {
        estimate.improvement_id: estimate
        for estimate in session.scalars(
            select(Estimate)
            .join(Improvement, Improvement.id == Estimate.improvement_id)
            .where(Estimate.data_version == Improvement.data_version)
        )
    }
    documents = {i: d for i, d in recomputed.documents.items() if not isinstance(d, NoEstimate)}
    assert set(stored) == set(documents) and documents
    assert any(document["warnings"] for document in documents.values())
    for improvement_id, document in documents.items():
        estimate = stored[improvement_id]
        assert estimate.result == document  # exactly: the same floats back
        assert (estimate.method, estimate.n_before) == (document["method"], document["n_before"])
        assert estimate.computed_at >= began


def test_the_always_valid_interval_is_the_same_on_both_paths(session, make):
    """`cs_low`/`cs_high` for each design the aggregates cover, with and without a planned
    size, and null where a compared sample has fewer than 10 rows (or paired units)."""
    units = [f"u{i}" for i in range(12)]
    welch_rows = rows("before", normal(14)) + rows("after", normal(11))
    cases = [
        make(Design.BEFORE_AFTER, welch_rows, planned_sample_size=40),
        make(Design.BEFORE_AFTER, welch_rows),
        make(Design.BEFORE_AFTER, rows("before", normal(14)) + rows("after", normal(9))),
        make(
            Design.PAIRED,
            rows("before", normal(12), units=units) + rows("after", normal(12), units=units),
            planned_sample_size=12,
        ),
        make(
            Design.CONTROL_GROUP,
            rows("after", normal(12, 45)) + rows("after", normal(10), "control"),
            planned_sample_size=20,
        ),
        make(
            Design.CONTROL_GROUP,
            rows("before", normal(10))
            + rows("after", normal(11, 45))
            + rows("before", normal(12), "control")
            + rows("after", normal(10), "control"),
            planned_sample_size=15,
        ),
    ]
    fast = compare(session, cases)
    documents = [fast.documents[case.id] for case in cases]
    assert [document["method"] for document in documents] == [
        "welch",
        "welch",
        "welch",
        "paired",
        "treatment_vs_control",
        "did",
    ]
    defined = [document["cs_low"] is not None for document in documents]
    assert defined == [True, True, False, True, True, True]
    # Same rows: the plan (40 a phase, or the default 100) moves where the interval is
    # tightest, so it changes the width and nothing else.
    assert documents[0]["effect"] == documents[1]["effect"]
    assert documents[0]["cs_high"] < documents[1]["cs_high"]


def test_small_real_variation_next_to_large_values_keeps_its_se_on_both_paths(session, make):
    """Values near 1e9 with an SD near 1e-3 (issue 19): the kept two-pass cell summaries
    hold the variance on both databases, and neither path zeroes the SE."""
    noise = [0.0, 0.0012, 0.0005, 0.0018, 0.0009, 0.0003]
    before = [1e9 + x for x in noise]
    after = [1e9 + 0.0016 + x for x in reversed(noise)]
    welch = make(Design.BEFORE_AFTER, rows("before", before) + rows("after", after))
    units = list("abcdef")
    paired = make(
        Design.PAIRED, rows("before", before, units=units) + rows("after", after, units=units)
    )
    fast = compare(session, [welch, paired])
    for improvement in (welch, paired):
        document = fast.documents[improvement.id]
        assert "zero_variance" not in {w["code"] for w in document["warnings"]}
        assert 1e-4 < document["se"] < 1e-3 and document["p_value"] < 0.05


def test_paired_rows_without_a_unit_are_named_on_both_paths(session, make):
    units = list("abcde")
    improvement = make(
        Design.PAIRED,
        rows("before", normal(5), units=units)
        + rows("after", normal(5), units=units)
        + rows("after", normal(2)),
    )
    fast = compute_estimates([improvement.id])
    document = fast.documents[improvement.id]
    assert document["method"] == "paired"
    assert "rows_without_unit" in {w["code"] for w in document["warnings"]}
    assert_same_document(document, estimate_document(improvement))


def dated_rows(case):
    """The R reference's DiD rows (tests/reference/data/pre_trend.csv), dated."""
    data = pd.read_csv(Path(__file__).resolve().parents[1] / "reference/data/pre_trend.csv")
    chosen = data[data["case"] == case]
    return [
        {
            "phase": row.phase,
            "group": row.group,
            "value": row.value,
            "unit_ref": None,
            "observed_on": date.fromisoformat(row.date),
        }
        for row in chosen.itertuples()
    ]


def test_evidence_levels_are_the_same_on_both_paths(session, make):
    """The pre-trend test from the kept before cells equals the one on the rows: level 4 with
    parallel trends, 3 diverging, 5 declared randomised; an undated before row, 3."""
    undated = dated_rows("parallel")
    undated[0] = undated[0] | {"observed_on": None}
    cases = {
        4: make(Design.CONTROL_GROUP, dated_rows("parallel")),
        3: make(Design.CONTROL_GROUP, dated_rows("diverging")),
        5: make(Design.CONTROL_GROUP, dated_rows("diverging"), randomised=True),
        2: make(Design.BEFORE_AFTER, dated_rows("parallel")[:40], randomised=True),
    }
    no_test = make(Design.CONTROL_GROUP, undated)
    fast = compare(session, [*cases.values(), no_test])
    assert not fast.per_improvement_ids
    for level, improvement in cases.items():
        assert fast.documents[improvement.id]["evidence_level"] == level, level
    assert fast.documents[no_test.id]["evidence_level"] == 3
    assert fast.documents[no_test.id]["details"]["pre_trend_p_value"] is None
