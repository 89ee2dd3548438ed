"""Comparing two estimate documents: same outcome, same keys in the same order, numbers to 1e-9.

Shared by the recompute-all and the stored-cells tests, which both check a fast path against the
per-improvement computation.
"""

import pytest

from gains.services.estimates.documents import NoEstimate

REL = 1e-9


def assert_same_document(fast, slow, where=""):
    """Same outcome class, same message, same keys in the same order, numbers to 1e-9."""
    if isinstance(slow, NoEstimate):
        assert fast == slow, where
        return
    assert not isinstance(fast, NoEstimate), (where, fast)
    assert list(fast) == list(slow), where
    for key, expected in slow.items():
        _assert_same_value(fast[key], expected, f"{where}.{key}")


def _assert_same_value(actual, expected, where):
    if isinstance(expected, float) and not isinstance(actual, bool):
        assert isinstance(actual, float), (where, actual)
        assert actual == pytest.approx(expected, rel=REL, abs=1e-12), where
    elif isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            _assert_same_value(actual[key], expected[key], f"{where}.{key}")
    else:
        assert actual == expected, where
