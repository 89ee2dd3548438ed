"""The did-it-last flag on hand-made weekly series."""

from datetime import date, timedelta

import numpy as np

from gains.models import Direction
from gains.services.estimates.lasting import Lasting, check_lasting

START = date(2026, 1, 5)


def weeks(values):
    return [(START + timedelta(weeks=i), float(v)) for i, v in enumerate(values)]


STABLE = [10.2, 9.8, 10.1, 9.9, 10.0, 10.3, 9.7, 10.1, 9.9, 10.0, 10.2, 9.8, 10.1, 9.9]


def test_a_stable_improved_process_is_holding():
    assert check_lasting(weeks(STABLE), Direction.LOWER).flag is Lasting.HOLDING


def test_a_jump_back_the_worse_way_is_a_signal():
    slipping = STABLE[:8] + [v + 3 for v in STABLE[8:]]
    check = check_lasting(weeks(slipping), Direction.LOWER)
    assert check.flag is Lasting.SIGNAL
    # Flagged from the first non-baseline week (a shift rule marks the whole run).
    assert check.reason.endswith(("23 February 2026", "2 March 2026"))


def test_a_jump_the_better_way_is_not_against_the_gain():
    improving = STABLE[:8] + [v + 3 for v in STABLE[8:]]
    assert check_lasting(weeks(improving), Direction.HIGHER).flag is Lasting.HOLDING


def test_too_few_dated_weeks_is_not_assessable():
    check = check_lasting(weeks(STABLE[:9]), Direction.LOWER)
    assert check.flag is Lasting.NOT_ASSESSABLE
    assert check.reason == "9 dated weeks after go-live; 10 are needed"
    assert check_lasting([], Direction.HIGHER).flag is Lasting.NOT_ASSESSABLE


def test_a_worsening_trend_is_a_signal():
    drifting = STABLE[:8] + list(np.linspace(10.1, 11.0, 7))
    assert check_lasting(weeks(drifting), Direction.LOWER).flag is Lasting.SIGNAL


def test_weekly_means_from_the_database_match_the_rows_week_by_week(session):
    """The database sums by week (each dialect's own Monday arithmetic); here the raw rows
    of every demo improvement are grouped by their Monday in Python instead."""
    from collections import defaultdict

    from sqlalchemy import select

    from gains.models import BatchStatus, Measurement, Phase, StudyGroup, UploadBatch
    from gains.services.estimates.lasting import _weekly_means

    rows = session.execute(
        select(Measurement.improvement_id, Measurement.observed_on, Measurement.value)
        .join(UploadBatch, UploadBatch.id == Measurement.batch_id)
        .where(
            UploadBatch.status == BatchStatus.ACTIVE,
            Measurement.phase == Phase.AFTER,
            Measurement.group == StudyGroup.TREATMENT,
            Measurement.observed_on.is_not(None),
        )
    ).all()
    by_week = defaultdict(lambda: defaultdict(list))
    for improvement_id, day, value in rows:
        by_week[improvement_id][day - timedelta(days=day.weekday())].append(value)
    expected = {
        improvement_id: [(week, float(np.mean(values))) for week, values in sorted(weeks.items())]
        for improvement_id, weeks in by_week.items()
    }
    assert len(expected) >= 5 and sum(len(s) for s in expected.values()) >= 100
    got = _weekly_means([*expected, 999_999])
    assert set(got) == set(expected)
    for improvement_id, series in expected.items():
        assert [week for week, _ in got[improvement_id]] == [week for week, _ in series]
        assert all(week.weekday() == 0 for week, _ in got[improvement_id])
        np.testing.assert_allclose(
            [mean for _, mean in got[improvement_id]], [mean for _, mean in series], rtol=1e-12
        )


def test_remembered_flags_are_reused_only_for_the_same_data_version(session, monkeypatch):
    from sqlalchemy import select

    from gains.models import Improvement, Status
    from gains.services.estimates import lasting

    approved = {
        i.id: (i.data_version, i.direction)
        for i in session.scalars(select(Improvement).where(Improvement.status == Status.APPROVED))
    }
    fresh = lasting.lasting_checks(approved)
    asked = []
    weekly_means = lasting._weekly_means
    monkeypatch.setattr(
        lasting, "_weekly_means", lambda ids: asked.append(sorted(ids)) or weekly_means(ids)
    )
    known = lasting.KnownChecks()
    assert lasting.lasting_checks(approved, known) == fresh
    assert lasting.lasting_checks(approved, known) == fresh
    assert asked == [sorted(approved)]  # the second call asked the database nothing
    changed = min(approved)
    version, direction = approved[changed]
    other_way = Direction.LOWER if direction is Direction.HIGHER else Direction.HIGHER
    lasting.lasting_checks({**approved, changed: (version + 1, direction)}, known)
    lasting.lasting_checks({**approved, changed: (version, other_way)}, known)
    assert asked[1:] == [[changed], [changed]]


def test_threads_sharing_remembered_flags_never_lose_one_they_were_given(monkeypatch):
    """A worker's threads share the remembered flags (`FiguresCache.known_lasting`). One
    thread forgetting old flags (past MAX_KNOWN) while another is between finding a flag
    there and answering with it must not make the other raise KeyError."""
    import threading

    from gains.services.estimates import lasting

    monkeypatch.setattr(lasting, "MAX_KNOWN", 1)
    monkeypatch.setattr(lasting, "_weekly_means", lambda ids: {})  # no database here
    known = lasting.KnownChecks()
    flag = (1, Direction.HIGHER)
    lasting.lasting_checks({1: flag}, known)  # improvement 1 remembered

    first_checking, second_done = threading.Event(), threading.Event()
    check = lasting.check_lasting

    def check_then_wait(series, direction):
        if threading.current_thread().name == "first":
            first_checking.set()
            second_done.wait(10)
        return check(series, direction)

    monkeypatch.setattr(lasting, "check_lasting", check_then_wait)
    answers, errors = [], []

    def first():
        try:
            answers.append(lasting.lasting_checks({1: flag, 2: flag}, known))
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert first_checking.wait(10)  # found 1 remembered; checking 2
    lasting.lasting_checks({3: flag}, known)  # another request: over MAX_KNOWN, forgets
    lasting.lasting_checks({4: flag}, known)
    second_done.set()
    thread.join(10)
    assert errors == []
    assert sorted(answers[0]) == [1, 2]
    assert {c.flag for c in answers[0].values()} == {lasting.Lasting.NOT_ASSESSABLE}
