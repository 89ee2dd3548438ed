"""The closed vocabularies: reading a member back from what a URL or a form holds."""

import pytest

from gains.models import Design, ImprovementKind, Pillar


@pytest.mark.parametrize("enum", [Pillar, ImprovementKind, Design])
def test_parse_gives_the_member_of_each_stored_value(enum):
    for member in enum:
        assert enum.parse(member.value) is member


@pytest.mark.parametrize("value", ["", "nonsense", "ENGAGING_USERS", None, 3, ["engaging_users"]])
def test_parse_gives_none_for_anything_else(value):
    assert Pillar.parse(value) is None
