"""The public register: published, approved results for anyone, without signing in.

Every route here is `@public`, and every one reads through `services/public/register.py`,
whose rows all come from the one rule `publication.on_the_register()`. Anything not on the
register is a 404, the same answer as for an id that does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from gains.auth import public
from gains.extensions import db
from gains.figures_cache import figures_response
from gains.htmx_support import render_page_or_fragment
from gains.ideas.presenting import idea_forest_svg
from gains.improvements.presenters import approved_appraisal_rows
from gains.models import Improvement
from gains.models.base import utcnow
from gains.public.atom import atom_feed
from gains.public.forms import RegisterFilterForm
from gains.security import svg_response
from gains.services.ideas.adoption import may_adopt, public_spread
from gains.services.ideas.pooling import public_idea_original, public_idea_pooling
from gains.services.public import open_data
from gains.services.public.publication import register_last_modified
from gains.services.public.register import (
    MIN_UNITS,
    RegisterFilters,
    filter_choices,
    headline,
    public_cells,
    public_chart_svg,
    public_department,
    public_entry,
    register_entries,
    register_page,
)

blueprint = Blueprint("public", __name__, url_prefix="/register")

# Public data may be cached, but must be checked again each time: an unpublished entry
# should disappear at once.
CACHE_CONTROL = "public, no-cache"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _filter_form() -> RegisterFilterForm:
    form = RegisterFilterForm(request.args)
    form.offer(filter_choices())
    form.validate()  # values not on offer count as "any" (see RegisterFilterForm.filters)
    return form


def _entry_url(improvement_id: int) -> str:
    return url_for("public.improvement", improvement_id=improvement_id, _external=True)


@blueprint.route("/")
@public
def register():
    form = _filter_form()
    filters = form.filters()
    page = register_page(filters, request.args.get("page", 1, type=int) or 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_page_or_fragment(
        "public/register.html",
        "public/partials/results.html",
        form=form,
        filters=filters,
        results=page,
        args=args,
        min_units=MIN_UNITS,
    )


@blueprint.route("/improvements/<int:improvement_id>")
@public
def improvement(improvement_id: int):
    entry = public_entry(improvement_id)
    if entry is None:
        abort(404)
    return render_template(
        "public/improvement.html",
        entry=entry,
        appraisal_rows=approved_appraisal_rows(entry.appraisal) if entry.appraisal else [],
        cells=public_cells(improvement_id),
        min_units=MIN_UNITS,
        spread=public_spread(db.session.get(Improvement, improvement_id)),
        # Signed-in people with a team may try a published result in it (issue 22).
        may_adopt=may_adopt(current_user),
    )


@blueprint.route("/improvements/<int:improvement_id>/chart.svg")
@public
def chart(improvement_id: int):
    """Each group's mean and 95% interval before and after; no single measurement drawn."""
    entry = public_entry(improvement_id)
    if entry is None:
        abort(404)

    def render() -> Response:
        svg = public_chart_svg(entry, public_cells(improvement_id))
        if svg is None:
            abort(404)
        return svg_response(svg)

    return figures_response(render, "public-chart", improvement_id, cache_control=CACHE_CONTROL)


@blueprint.route("/ideas/<int:improvement_id>")
@public
def idea(improvement_id: int):
    """An idea's published results pooled (issue 22): only what is on the register."""
    original = public_idea_original(improvement_id)
    if original is None:
        abort(404)
    # Addressed by any of its published places' ids (never the original's unless published).
    return render_template(
        "public/idea.html",
        pooling=public_idea_pooling(original),
        forest_url=url_for(".idea_forest_plot", improvement_id=improvement_id),
        csv_url=None,
    )


@blueprint.route("/ideas/<int:improvement_id>/forest.svg")
@public
def idea_forest_plot(improvement_id: int):
    original = public_idea_original(improvement_id)
    if original is None:
        abort(404)
    pooling = public_idea_pooling(original)
    return figures_response(
        lambda: svg_response(idea_forest_svg(pooling, "published results")),
        "public-idea-forest",
        improvement_id,
        cache_control=CACHE_CONTROL,
    )


@blueprint.route("/departments/<int:department_id>")
@public
def department(department_id: int):
    found = public_department(department_id)
    if found is None:
        abort(404)
    entries = register_entries(RegisterFilters(department_id=department_id))
    return render_template(
        "public/department.html",
        department=found,
        entries=entries,
        headline=headline(utcnow().date(), entries),
        min_units=MIN_UNITS,
    )


@blueprint.route("/savings")
@public
def savings():
    return render_template(
        "public/savings.html", headline=headline(utcnow().date()), min_units=MIN_UNITS
    )


@blueprint.route("/about-the-data")
@public
def about_data():
    return render_template("public/about_data.html", fields=open_data.FIELDS, min_units=MIN_UNITS)


def _data_response(kind: str) -> Response:
    """The register as a file, answered conditionally: by ETag from the figures version, and
    by `Last-Modified`, when anything the register shows last changed (also the file's own
    "as of" date)."""
    last_modified = register_last_modified() or EPOCH

    def render() -> Response:
        entries = register_entries(_filter_form().filters())
        if kind == "csv":
            body = open_data.to_csv(entries, _entry_url)
            response = make_response(body)
            response.mimetype = "text/csv"
            response.headers["Content-Disposition"] = 'inline; filename="gains-register.csv"'
        elif kind == "json":
            body = open_data.to_json(
                entries,
                _entry_url,
                as_of=last_modified,
                documentation_url=url_for("public.about_data", _external=True),
            )
            response = make_response(body)
            response.mimetype = "application/json"
        else:
            body = atom_feed(
                entries,
                feed_url=url_for("public.feed", _external=True),
                register_url=url_for("public.register", _external=True),
                entry_url=_entry_url,
                updated=last_modified,
            )
            response = make_response(body)
            response.mimetype = "application/atom+xml"
        return response

    response = figures_response(
        render,
        "open-data",
        kind,
        request.query_string.decode(),
        last_modified=last_modified,
        cache_control=CACHE_CONTROL,
    )
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


@blueprint.route("/data.csv")
@public
def data_csv():
    return _data_response("csv")


@blueprint.route("/data.json")
@public
def data_json():
    return _data_response("json")


@blueprint.route("/feed.atom")
@public
def feed():
    return _data_response("atom")
