"""Cleaning a measurements frame: which dates are refused."""

import pandas as pd
import pytest

from gains.stats.assemble import StatsInputError
from gains.stats.design import estimate_improvement
from gains.stats.frames import clean_measurements


def frame_with_dates(dates):
    phases = ["before", "before", "before", "after", "after", "after"]
    return pd.DataFrame(
        {"phase": phases, "value": [10.0, 11.0, 12.0, 8.0, 9.0, 7.5], "date": dates}
    )


def test_a_row_without_a_date_is_kept_beside_dated_rows():
    """A date is optional per row: an undated form row among dated uploaded rows stays."""
    dates = ["2026-05-04", "2026-05-05", None, "2026-06-04", "", pd.NaT]
    clean = clean_measurements(frame_with_dates(dates))
    assert clean["date"].isna().tolist() == [False, False, True, False, True, True]
    assert clean["date"].iloc[3] == pd.Timestamp("2026-06-04")
    result = estimate_improvement(frame_with_dates(dates), design="before_after")
    assert result.n_before == 3 and result.n_after == 3


def test_a_date_that_is_there_but_unreadable_is_refused():
    dates = ["2026-05-04", None, "yesterday", "2026-06-04", "2026-06-05", "2026-06-06"]
    with pytest.raises(StatsInputError, match="unreadable date in data row 3"):
        clean_measurements(frame_with_dates(dates))


def test_a_blank_group_beside_control_rows_is_refused_naming_the_row():
    """Read as treatment, a blank group moved a control row into the treated group (issue 19)."""
    frame = pd.DataFrame(
        {
            "phase": ["before", "after", "before", "after", "before", "after", "before"],
            "group": ["treatment", "treatment", "control", "control", "control", "  ", None],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    with pytest.raises(StatsInputError, match=r"'group' is blank in data row 6 .* control"):
        clean_measurements(frame)


def test_a_blank_group_without_any_control_row_is_treatment():
    frame = pd.DataFrame(
        {"phase": ["before", "after", "before", "after"], "group": [None, "", "Treatment", None]}
    ).assign(value=[1.0, 2.0, 3.0, 4.0])
    assert clean_measurements(frame)["group"].tolist() == ["treatment"] * 4
