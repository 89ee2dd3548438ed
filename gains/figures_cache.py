"""Computed dashboard figures kept per process, under the version of the data behind them.

The Treasury and department dashboards add up the whole register; their inputs change only
when someone writes, and they are read far more often than that. So a computed dashboard (a
plain-value dataclass, no ORM objects) is kept under a key that includes `figures_version()`:
one cheap query of a counter that every commit writing an audit event (every change behind
the figures writes one) moves on, with the newest estimate's time. Any write changes the
version, so a stale figure is never served: the next request computes afresh.

Every response made from the figures is versioned by it too: `figures_response` is the one
conditional GET (ETag from `figures_etag`, answered with Werkzeug's `is_resource_modified`)
for the charts, the forest plot, the public register's files and the API's estimate, so no
page or file can keep an ETag while the figures it shows move (docs/decisions/0010).

The dashboards' rendered figures are kept the same way (`cached_render`): the HTML of a
dashboard's figures is the same for everyone allowed to see them, and rendering a register's
worth of rows through Jinja costs more than computing them from the cache (about 10 ms a
request on 2 cores, where the page's own target is 100 ms at 8 clients). Only the figures
are kept, never the page around them: the navigation, the person's name and the CSRF token
are rendered for each request.

Each app has its own cache (`app.extensions`), so tests that build many apps on different
databases never share figures. Concurrent misses for the same key wait for the one
computation instead of all doing it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime
from hashlib import sha256
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from markupsafe import Markup
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from werkzeug.http import is_resource_modified

from gains.extensions import db
from gains.models import AuditEvent, Estimate
from gains.models.figures import figures_version as version_row
from gains.services.dashboards.treasury import (
    TreasuryDashboard,
    TreasuryFilters,
    treasury_dashboard,
)
from gains.services.estimates.lasting import KnownChecks
from gains.services.money import savings

T = TypeVar("T")
# Dashboards × filter combinations in use at once, each with its rendered HTML (about 0.1-0.2
# MB). A Treasury entry is about 3 MB at 10,000 improvements (its did-it-last list), so 32
# bound a worker to ~50 MB of figures.
ENTRIES = 32
# A private copy, checked again on every use: figures move with any write.
REVALIDATE_PRIVATELY = "private, max-age=0, must-revalidate"


def figures_version() -> tuple:
    """Changes whenever anything behind the dashboards' figures changes.

    Every change to an improvement, its data, its reviews or the organisation writes an
    audit event in the same transaction (tests/services/test_audit_trail.py holds every
    service to that), and every commit that adds one moves the `figures_version` row's number on
    (`_move_on_with_audit_events`). A counter rather than the newest event's id, because ids
    are handed out before commit: on PostgreSQL a write committing after a later-numbered one
    would leave the newest id as it was, and its figures unseen. The newest estimate
    computation is added for writers outside the audit trail (the benchmarks and the demo
    builder call `recompute_all` without the command's event).
    """
    return db.session.execute(
        select(
            select(version_row.c.number).scalar_subquery(),
            select(func.max(Estimate.computed_at)).scalar_subquery(),
        )
    ).one()


MOVED = "gains_figures_moved"


def _note_audit_events(session: Session, _context, _instances) -> None:
    if any(isinstance(record, AuditEvent) for record in session.new):
        session.info[MOVED] = True


def _move_on_with_audit_events(session: Session) -> None:
    # Just before COMMIT, so that on PostgreSQL the row is locked only while committing:
    # concurrent writers queue for it one commit at a time and never in a cycle.
    session.flush()  # events still pending are noted too
    if session.info.pop(MOVED, False):
        session.execute(
            update(version_row).where(version_row.c.id == 1).values(number=version_row.c.number + 1)
        )


def _forget_on_rollback(session: Session) -> None:
    session.info.pop(MOVED, None)


SESSION_LISTENERS = (
    ("before_flush", _note_audit_events),
    ("before_commit", _move_on_with_audit_events),
    ("after_rollback", _forget_on_rollback),
)


def figures_etag(*depends_on: Hashable) -> str:
    """The ETag of a response made from the figures: it moves with `figures_version`, the
    same version the kept figures are under, and with whatever else the response depends on
    (what it is, its record, its query string, the day)."""
    key = repr((tuple(figures_version()), depends_on))
    return sha256(key.encode()).hexdigest()[:32]


def figures_response(
    render: Callable[[], Response],
    *depends_on: Hashable,
    last_modified: datetime | None = None,
    cache_control: str = REVALIDATE_PRIVATELY,
) -> Response:
    """Conditional GET of a response made from the figures, the one way every view does it.

    The ETag is `figures_etag(*depends_on)`; a client that sends it back (or, sending no
    If-None-Match, has a copy as new as ``last_modified``) gets 304 and ``render()`` is not
    called, so an unchanged chart costs one version query.
    """
    etag = figures_etag(*depends_on)
    if is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = render()
    else:
        response = Response(status=304)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


class FiguresCache:
    def __init__(self, entries: int = ENTRIES) -> None:
        self._entries = entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        # Per-improvement results that outlive a figures version: keyed by everything they
        # depend on (e.g. did-it-last flags by improvement, data version and direction).
        self.known_lasting = KnownChecks()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``compute()`` (kept; one computation per key)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            try:
                with self._lock:
                    if key in self._values:
                        return self._values[key]
                value = compute()
                with self._lock:
                    self._values[key] = value
                    while len(self._values) > self._entries:
                        self._values.popitem(last=False)
                return value
            finally:
                # On every exit, a raising compute() too: keys carry the figures version, so
                # a lock left behind per failed key would pile up for the life of the worker.
                with self._lock:
                    if self._computing.get(key) is computing:
                        del self._computing[key]


def init_app(app: Flask) -> None:
    """The app's own kept figures, remembered flags and prices (never shared between apps),
    and the version's counter moved by every session's commits (once per process)."""
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    app.extensions["gains_figures"] = FiguresCache()
    savings.init_app(app)


def treasury_figures(filters: TreasuryFilters, today: date) -> TreasuryDashboard:
    """The Treasury figures for these filters today (the page, its files and the API),
    computed once per figures version, did-it-last flags remembered between versions."""
    return cached_figures(
        ("treasury", filters, today), lambda: treasury_dashboard(filters, today, _known_lasting())
    )


def _known_lasting() -> KnownChecks | None:
    """The app's remembered did-it-last flags (None when the cache is off)."""
    if not current_app.config["GAINS_FIGURES_CACHE"]:
        return None
    return current_app.extensions["gains_figures"].known_lasting


def cached_render(key: Hashable, render: Callable[[], str]) -> Markup:
    """HTML rendered from the figures alone, once per figures version. Only for parts that
    are the same for everyone who may see them: no session, CSRF token or per-person link."""
    return Markup(cached_figures(("html", key), render))


def cached_figures(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept until anything behind the dashboards changes (`figures_version`)."""
    if not current_app.config["GAINS_FIGURES_CACHE"]:
        return compute()
    return current_app.extensions["gains_figures"].get((key, figures_version()), compute)
