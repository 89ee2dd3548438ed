"""Check and normalise a measurements frame before any design sees it.

Expected columns: ``phase`` (before/after) and ``value``; optional ``unit``, ``group``
(treatment/control) and ``date``. Labels are case- and space-insensitive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gains.stats.assemble import StatsInputError

PHASES = ("before", "after")
GROUPS = ("treatment", "control")
# Every design squares deviations and the Welch-Satterthwaite df raises an SE to the 4th power,
# which overflows past about 1e77: values beyond this are refused rather than turned into an
# infinite SE that reads as null (the app's own bound, `gains.bounds`, is far inside it).
LARGEST_ANALYSABLE = 1e50


def clean_measurements(frame: pd.DataFrame) -> pd.DataFrame:
    """Validated copy with normalised labels; raises :class:`StatsInputError` with one message."""
    missing = [column for column in ("phase", "value") if column not in frame.columns]
    if missing:
        raise StatsInputError(f"missing column(s): {', '.join(missing)}")
    clean = pd.DataFrame(index=frame.index)
    clean["phase"] = _labels(frame["phase"], PHASES, "phase")
    clean["value"] = _numbers(frame["value"])
    if "group" in frame.columns:
        clean["group"] = _groups(frame["group"])
    else:
        clean["group"] = "treatment"
    if "unit" in frame.columns:
        codes, distinct = pd.factorize(frame["unit"])
        units = pd.Series(distinct, dtype=object).astype("string").str.strip()
        units = units.mask(units == "")
        clean["unit"] = units.array.take(codes, allow_fill=True)
    if "date" in frame.columns:
        clean["date"] = _dates(frame["date"])
    return clean.reset_index(drop=True)


def has_units(frame: pd.DataFrame) -> bool:
    """True when at least one row names its unit (the data can be paired)."""
    return "unit" in frame.columns and frame["unit"].notna().any()


def _labels(column: pd.Series, allowed: tuple[str, ...], name: str) -> pd.Series:
    # Normalised once per distinct label, not per row: a million rows have two or three.
    codes, distinct = pd.factorize(column)
    labels = pd.Series(distinct, dtype=object).astype("string").str.strip().str.lower()
    bad = sorted(set(labels.dropna()) - set(allowed))
    if bad or labels.isna().any() or (codes == -1).any():
        shown = ", ".join(bad) if bad else "an empty value"
        raise StatsInputError(f"column {name!r} must be one of {', '.join(allowed)}; found {shown}")
    return pd.Series(labels.to_numpy(dtype=object)[codes], index=column.index, dtype=object)


def _groups(column: pd.Series) -> pd.Series:
    """A blank group is treatment only when no row is control: a file without a control
    group needs no group column filled in, but beside control rows a blank may be either."""
    codes, distinct = pd.factorize(column)  # once per distinct label, as `_labels`
    labels = pd.Series(distinct, dtype=object).astype("string").str.strip().str.lower()
    blank_labels = labels.eq("").to_numpy(dtype=bool)
    blank = (codes == -1) | np.isin(codes, np.flatnonzero(blank_labels))
    if blank.any() and labels.eq("control").any():
        first = int(blank.nonzero()[0][0])
        raise StatsInputError(
            f"column 'group' is blank in data row {first + 1} while other rows are control: "
            "write treatment or control in every row"
        )
    return _labels(column.where(~blank, "treatment") if blank.any() else column, GROUPS, "group")


def _numbers(column: pd.Series) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad_rows = values.isna() | ~values.abs().lt(float("inf"))
    if bad_rows.any():
        first = int(bad_rows.to_numpy().nonzero()[0][0])
        raise StatsInputError(
            f"column 'value' is not a number (or is missing) in data row {first + 1}"
        )
    too_large = values.abs().gt(LARGEST_ANALYSABLE)
    if too_large.any():
        first = int(too_large.to_numpy().nonzero()[0][0])
        raise StatsInputError(
            f"column 'value' in data row {first + 1} is too large to analyse (beyond "
            f"±{LARGEST_ANALYSABLE:g}, where squares overflow): record it in larger units"
        )
    return values.astype(float)


def read_dates(column: pd.Series) -> pd.Series:
    """ISO 8601 dates as naive UTC timestamps; unreadable ones NaT. Times with different UTC
    offsets (`+01:00` beside `Z`) are turned to UTC instead of failing as pandas' mixed
    time zones; dates without an offset are taken as UTC, like every time Gains keeps."""
    if pd.api.types.is_datetime64_any_dtype(column):
        if getattr(column.dt, "tz", None) is None:
            return column
        return column.dt.tz_convert("UTC").dt.tz_localize(None)
    parsed = pd.to_datetime(column, errors="coerce", format="ISO8601", utc=True)
    return parsed.dt.tz_localize(None)


def _dates(column: pd.Series) -> pd.Series:
    """Dates are optional row by row: a blank stays missing (NaT); only a date that is there
    and cannot be read is refused. (Refusing every blank once any row had a date made one
    undated form row hide the estimate of an improvement whose upload was dated.)"""
    given = column.notna()
    if not pd.api.types.is_datetime64_any_dtype(column):
        # Only text can be blank; the app's own frames arrive as datetime64 already, and the
        # text test would cost more than the parsing on a million rows.
        given &= column.astype("string").str.strip().ne("").fillna(False)
    dates = read_dates(column.where(given))
    unreadable = dates.isna() & given
    if unreadable.any():
        first = int(unreadable.to_numpy().nonzero()[0][0])
        raise StatsInputError(
            f"column 'date' has an unreadable date in data row {first + 1} (use YYYY-MM-DD)"
        )
    return dates
