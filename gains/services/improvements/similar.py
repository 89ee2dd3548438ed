"""Similar improvements: what someone registering a change can already learn from (issue 22
item 1; decision 0046).

The database does the search (migration 0020) over title, metric name and hypothesis, with
stemming, so "Pre-filled renewal form" finds "Pre-fill known fields on the renewal form":
SQLite's FTS5 ranked by bm25, PostgreSQL's `english` tsvector ranked by `ts_rank` (weights A
title, B metric, C hypothesis; `ts_rank_cd` took 3.5 times as long over thousands of matches).
Only the SQL that must differ is branched. A person sees what `gains.access` lets them open
and what is on the public register (its one rule, `on_the_register`), nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, or_, select
from sqlalchemy.orm import joinedload

from gains.access import scoped
from gains.extensions import db
from gains.models import Direction, Improvement
from gains.models.search import POSTGRESQL_DOCUMENT, sqlite_search, sqlite_search_match
from gains.services.estimates.listed import ListedResult, listed_results
from gains.services.estimates.plain_english import verdict_of
from gains.services.public.publication import on_the_register
from gains.services.public.register import PublicGain, public_gain

SHOWN = 5  # the panel's length: enough to notice a near-duplicate, short beside the form
MAX_TERMS = 32  # a pasted essay searches by its first distinct words, not all of them
MAX_TERM_LENGTH = 64  # longer "words" are not words (a pasted hash or URL)
# Letters and digits only: such a word can neither be FTS5 nor tsquery syntax, whatever
# was typed around it (quotes, `*`, `NEAR`, `$`, NUL).
WORD = re.compile(r"[^\W_]+")
# Words that would match nearly every improvement and say nothing about the change
# (PostgreSQL's `english` configuration drops these itself; SQLite's FTS5 would not).
STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        """a an and are as at be been but by can could do does for from has have how if in into
        is it its more most not of on or our so than that the their them then there these they
        this to too was we were what when which who will with would you your""",
    )
)
# bm25 weights in the FTS5 table's column order (title, hypothesis, metric_name): the title
# names the change, the metric what it moves, the hypothesis adds context and many words.
SQLITE_WEIGHTS = (10.0, 1.0, 4.0)


def search_terms(text: str) -> list[str]:
    """The distinct words of `text` worth searching for, lower case, in the order typed."""
    words = (word.casefold() for word in WORD.findall(text))
    kept = (w for w in words if len(w) > 1 and len(w) <= MAX_TERM_LENGTH and w not in STOP_WORDS)
    return list(dict.fromkeys(kept))[:MAX_TERMS]


def ranked_matches(terms: list[str], dialect: str) -> Select:
    """SELECT improvements.id of every improvement matching any term, best first."""
    if dialect == "sqlite":
        # Each term quoted: a string FTS5 takes as words, never as an operator.
        query = " OR ".join(f'"{term}"' for term in terms)
        rank = func.bm25(sqlite_search_match, *(literal(w) for w in SQLITE_WEIGHTS))
        return (
            select(Improvement.id)
            .join(sqlite_search, sqlite_search.c.rowid == Improvement.id)
            .where(sqlite_search_match.op("MATCH")(query))
            .order_by(rank, Improvement.id.desc())
        )
    query = func.to_tsquery(literal_column("'english'::regconfig"), " | ".join(terms))
    return (
        select(Improvement.id)
        .where(POSTGRESQL_DOCUMENT.op("@@")(query))
        .order_by(func.ts_rank(POSTGRESQL_DOCUMENT, query).desc(), Improvement.id.desc())
    )


def visible_to(user) -> ColumnElement[bool]:
    """What `user` may see: their scope, and everything on the public register."""
    own = scoped(select(Improvement.id), user).correlate(None)
    public = on_the_register().with_only_columns(Improvement.id).correlate(None)
    return or_(Improvement.id.in_(own), Improvement.id.in_(public))


@dataclass(frozen=True)
class SimilarImprovement:
    """One match as the panel shows it. `may_open`: the viewer can open its page; otherwise
    it is a published result from elsewhere, shown as the public register shows it (its
    department, not its team; its approved figures) and linked to its public page."""

    improvement: Improvement
    may_open: bool
    result: ListedResult | None
    evidence_level: int | None


def _public_result(gain: PublicGain) -> ListedResult | None:
    """The approved figures the public register shows, in the list's shape."""
    if gain.effect is None:
        return None  # suppressed: too few measurements behind a cell to show
    return ListedResult(
        effect=gain.effect,
        ci_low=gain.effect_ci_low,
        ci_high=gain.effect_ci_high,
        level=gain.level,
        verdict=verdict_of(
            gain.effect_ci_low,
            gain.effect_ci_high,
            higher_is_better=gain.direction is Direction.HIGHER,
        ),
        evidence_level=gain.evidence_level,
        saving=None,
    )


def _shown(user, ids: list[int]) -> list[SimilarImprovement]:
    loaded = db.session.scalars(
        select(Improvement)
        .where(Improvement.id.in_(ids))
        .options(joinedload(Improvement.team), joinedload(Improvement.department))
    ).all()
    by_id = {improvement.id: improvement for improvement in loaded}
    openable = set(
        db.session.scalars(scoped(select(Improvement.id), user).where(Improvement.id.in_(ids)))
    )
    own = listed_results(by_id[i] for i in ids if i in openable)
    elsewhere = [i for i in ids if i not in openable]
    public = (
        {
            row[0].id: public_gain(*row)
            for row in db.session.execute(on_the_register().where(Improvement.id.in_(elsewhere)))
        }
        if elsewhere
        else {}
    )
    shown = []
    for improvement_id in ids:
        if improvement_id in openable:
            result = own.get(improvement_id)
            level = result.evidence_level if result else None
        elif (gain := public.get(improvement_id)) is not None:
            result, level = _public_result(gain), gain.evidence_level
        else:
            continue  # taken off the register since the search (another transaction)
        shown.append(
            SimilarImprovement(by_id[improvement_id], improvement_id in openable, result, level)
        )
    return shown


def similar_improvements(
    user, texts: Iterable[str], *, limit: int = SHOWN
) -> list[SimilarImprovement]:
    """The improvements most like what `texts` describe (a title, a hypothesis) that `user`
    may see, best first, at most `limit`. Texts are checked by the caller against
    `gains.bounds` (TITLE, HYPOTHESIS); any text at all is safe here."""
    terms = search_terms(" ".join(texts))
    if not terms:
        return []
    dialect = db.session.get_bind().dialect.name
    stmt = ranked_matches(terms, dialect).where(visible_to(user)).limit(limit)
    ids = list(db.session.scalars(stmt))
    return _shown(user, ids) if ids else []
