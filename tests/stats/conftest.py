"""Fixtures for the statistics tests: R reference outputs and the datasets they were made from.

The JSON files under tests/reference/outputs were written by the R scripts beside them at 17
significant digits; the tests never need R.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="session")
def reference():
    """``reference("did")`` → the parsed ``outputs/did.json``."""

    def load(name: str) -> dict:
        return json.loads((REFERENCE_DIR / "outputs" / f"{name}.json").read_text())

    return load


@pytest.fixture(scope="session")
def reference_data():
    """``reference_data("welch")`` → the ``data/welch.csv`` frame R read."""

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(REFERENCE_DIR / "data" / f"{name}.csv")

    return load
