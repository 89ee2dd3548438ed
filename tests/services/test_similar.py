"""Similar improvements (issue 22 item 1): the database's full-text search finds near
duplicates, stays in step with every write, shows only what the viewer may see, and takes
any text without an error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from gains.models import Improvement
from gains.models.search import POSTGRESQL_SEARCH_INDEX
from gains.services.improvements import workflow
from gains.services.improvements.similar import (
    MAX_TERMS,
    SHOWN,
    ranked_matches,
    search_terms,
    similar_improvements,
)
from gains.services.public.publication import is_public
from tests.support.factories import person, plan

PUBLISHED_WKP = "Pre-fill known fields on the renewal form"  # Work and Pensions, published
UNPUBLISHED_WKP = "Save and return on the renewal form"  # Work and Pensions, not public


def titles(found) -> list[str]:
    return [match.improvement.title for match in found]


def test_search_terms_are_the_words_worth_searching():
    assert search_terms('The "pre-filled" renewal form: NEAR(form*) $x, the FORM') == [
        "pre",
        "filled",
        "renewal",
        "form",
        "near",
    ]
    assert search_terms("a \x00 ' \" * ( ) : ^ - _") == []
    assert len(search_terms(" ".join(f"word{i}" for i in range(100)))) == MAX_TERMS


def test_the_issues_example_pair_find_each_other(session):
    member = person(session, "member")  # Work and Pensions, Benefit renewals
    new = workflow.create_improvement(
        member,
        member.team,
        plan(title="Pre-filled renewal form", hypothesis="Fewer fields to type save time."),
    )
    session.flush()
    assert titles(similar_improvements(member, ["Pre-filled renewal form"]))[0] in {
        "Pre-filled renewal form",
        PUBLISHED_WKP,
    }
    assert PUBLISHED_WKP in titles(similar_improvements(member, ["Pre-filled renewal form"])[:2])
    # A hyphen, a different ending, other words around it: stemming joins them.
    assert new.title in titles(similar_improvements(member, [PUBLISHED_WKP])[:2])


def test_the_index_follows_edits_and_deletions(session):
    member = person(session, "member")
    new = workflow.create_improvement(
        member, member.team, plan(title="Quokka-friendly appointment letters")
    )
    session.flush()
    assert titles(similar_improvements(member, ["quokka"])) == [new.title]
    session.execute(
        update(Improvement).where(Improvement.id == new.id).values(title="Wombat letters")
    )
    assert similar_improvements(member, ["quokka"]) == []
    assert titles(similar_improvements(member, ["wombats"])) == ["Wombat letters"]
    session.delete(session.get(Improvement, new.id))
    session.flush()
    assert similar_improvements(member, ["wombat"]) == []


def test_another_departments_unpublished_work_never_appears(session):
    revenue_member = person(session, "debt@example.org")  # Revenue and Customs
    found = similar_improvements(revenue_member, [UNPUBLISHED_WKP], limit=50)
    assert UNPUBLISHED_WKP not in titles(found)
    for match in found:
        assert match.improvement.department_id == revenue_member.department_id or is_public(
            match.improvement
        )
        assert match.may_open is (match.improvement.department_id == revenue_member.department_id)


def test_a_published_result_from_elsewhere_shows_its_approved_figures(session):
    revenue_member = person(session, "debt@example.org")
    found = similar_improvements(revenue_member, ["pre-filled renewal form"])
    match = next(m for m in found if m.improvement.title == PUBLISHED_WKP)
    assert not match.may_open
    assert match.result is not None and match.result.verdict_words == "Helped"
    assert match.evidence_level == match.result.evidence_level is not None


def test_a_member_sees_what_access_lets_them_open_and_treasury_sees_all(session):
    member = person(session, "member")
    treasury = person(session, "treasury")
    mine = set(titles(similar_improvements(member, [UNPUBLISHED_WKP], limit=50)))
    everyone = set(titles(similar_improvements(treasury, [UNPUBLISHED_WKP], limit=50)))
    assert UNPUBLISHED_WKP in mine
    assert mine <= everyone
    assert all(m.may_open for m in similar_improvements(treasury, ["renewal"], limit=50))


def test_nothing_to_search_for_finds_nothing(session):
    member = person(session, "member")
    assert similar_improvements(member, ["", "the and of", "*** \"'"]) == []
    anonymous = None
    public_only = similar_improvements(anonymous, [PUBLISHED_WKP])
    assert all(is_public(match.improvement) for match in public_only)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "'",
                    "*",
                    "NEAR",
                    "NEAR(",
                    "AND",
                    "OR",
                    "NOT",
                    "$",
                    "\x00",
                    "^",
                    ":",
                    "(",
                    ")",
                    "-",
                    "|",
                    "&",
                    "!",
                    "<->",
                    "renewal",
                    "form",
                    "title:",
                    "{",
                    "}",
                    "ß",
                    "İ",
                    "日本語",
                    "\ud800",
                    "e\u0301",
                    "\u200b",
                ]
            ),
            max_size=20,
        ).map(" ".join),
    )
)
def test_any_text_is_searched_without_an_error(session, text):
    member = person(session, "member")
    found = similar_improvements(member, [text, text[::-1]])
    assert len(found) <= SHOWN


def test_a_megabyte_of_text_is_searched_by_its_first_words(session):
    member = person(session, "member")
    found = similar_improvements(member, ["renewal form " * 80_000])
    assert PUBLISHED_WKP in titles(found)


def test_only_the_first_matches_are_returned(session):
    treasury = person(session, "treasury")
    assert len(similar_improvements(treasury, ["renewal form letter"], limit=2)) <= 2


def test_the_search_goes_through_the_index_of_migration_0020(session, backend):
    """Every search reads the full-text index, never every row: PostgreSQL's query uses the
    GIN index on the stored document; SQLite's reads the FTS5 table through its own index."""
    if backend == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
    query = ranked_matches(["renewal"], backend).compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    if backend == "postgresql":
        shown = "\n".join(session.scalars(text(f"EXPLAIN {query}")))
        assert POSTGRESQL_SEARCH_INDEX in shown
    else:
        plan = session.execute(text(f"EXPLAIN QUERY PLAN {query}")).all()
        shown = "\n".join(str(row[-1]) for row in plan)
        assert "VIRTUAL TABLE INDEX" in shown and "improvement_search" in shown, shown
