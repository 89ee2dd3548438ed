"""Similar improvements: the database's full-text search (migration 0020) against the naive
baseline, a `LIKE '%word%'` scan, over the same rows in the same run (`bench.dashboards
--pages similar` runs it beside the page under load).

Both answer the same question for the same person (a manager: their department plus the
public register; and Treasury, who sees every department, so every match is ranked) from the
same words (`search_terms`): the best `SHOWN` ids. The baseline
ranks by how many (word, column) pairs match; it cannot stem, so it is the slower and the
worse answer, and the figure is only its time.
"""

from __future__ import annotations

import statistics
import time
import urllib.parse

from sqlalchemy import case, or_, select

from bench.generate import LOGINS

# What people type: a title, and sometimes a hypothesis.
QUERIES = (
    ("Pre-filled renewal form", "Filling in what we already know saves time."),
    ("Text reminders for missed appointments", ""),
    ("Plain English council tax bill", "Fewer calls about the bill."),
    ("Discharge checklist on the ward", "Patients go home the same day."),
    ("Route planning for bin collection crews", ""),
)


def page_paths() -> list[str]:
    """The similar-improvements page for each query, as the no-JavaScript step asks for it."""
    return [
        "/improvements/similar?" + urllib.parse.urlencode({"title": t, "hypothesis": h})
        for t, h in QUERIES
    ]


def naive_like_ids(user, texts, limit: int) -> list[int]:
    """The baseline: every word as `LIKE '%word%'` (case-insensitive) on each column."""
    from gains.extensions import db
    from gains.models import Improvement
    from gains.services.improvements.similar import search_terms, visible_to

    columns = (Improvement.title, Improvement.hypothesis, Improvement.metric_name)
    matches = [
        column.icontains(term, autoescape=True)
        for term in search_terms(" ".join(texts))
        for column in columns
    ]
    score = sum(case((match, 1), else_=0) for match in matches)
    stmt = (
        select(Improvement.id)
        .where(or_(*matches), visible_to(user))
        .order_by(score.desc(), Improvement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def database_search_ids(user, texts, limit: int) -> list[int]:
    from gains.extensions import db
    from gains.services.improvements.similar import ranked_matches, search_terms, visible_to

    dialect = db.session.get_bind().dialect.name
    stmt = ranked_matches(search_terms(" ".join(texts)), dialect).where(visible_to(user))
    return list(db.session.scalars(stmt.limit(limit)))


def _timed(function, rounds: int) -> dict:
    latencies = []
    for _ in range(rounds):
        for texts in QUERIES:
            began = time.perf_counter()
            function(texts)
            latencies.append((time.perf_counter() - began) * 1000)
    ordered = sorted(latencies)
    return {
        "calls": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
    }


def compare(url: str, rounds: int = 20) -> dict:
    """Each way's latency per call, in this process, on the built database: the ranked ids
    by the database's search, the same by the LIKE baseline, and the whole service call
    (ids, records, results: what the panel renders)."""
    from bench.common import make_app
    from gains.extensions import db
    from gains.models import User
    from gains.services.improvements.similar import SHOWN, similar_improvements

    app = make_app(url)
    with app.app_context():
        manager, treasury = (
            db.session.scalars(select(User).where(User.email == LOGINS[role])).one()
            for role in ("manager", "treasury")
        )
        ways = {
            "database full-text search (ids)": lambda t: database_search_ids(manager, t, SHOWN),
            "baseline LIKE '%word%' scan (ids)": lambda t: naive_like_ids(manager, t, SHOWN),
            "similar_improvements (ids, records, results)": lambda t: similar_improvements(
                manager, t
            ),
            # Treasury sees every department: every match is ranked, the most work there is.
            "database full-text search (ids), Treasury": lambda t: database_search_ids(
                treasury, t, SHOWN
            ),
            "baseline LIKE '%word%' scan (ids), Treasury": lambda t: naive_like_ids(
                treasury, t, SHOWN
            ),
        }
        for way in ways.values():  # warm: the first call of each reads pages from disk
            way(QUERIES[0])
        results = {name: _timed(way, rounds) for name, way in ways.items()}
        db.session.remove()
        db.engine.dispose()
    return results
