"""Similar improvements (issue 22 item 1): the page anyone signed in can search, and the panel
the registration form shows, as a plain GET step and as htmx fragments while people type.
The search itself is `services/improvements/similar.py`."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from gains.htmx_support import render_page_or_fragment
from gains.improvements import blueprint
from gains.improvements.forms import SimilarForm
from gains.services.improvements.similar import similar_improvements

# The registration form's secondary button sends this by GET (decision 0046).
CHECK_SIMILAR = "check_similar"


def similar_panel(values: MultiDict) -> dict[str, Any]:
    """The panel's context from what was typed: `similar` is None until there is something
    to search for (or while it breaks a bound: the form shows why), else the matches."""
    form = SimilarForm(formdata=values)
    texts = (form.title.data or "", form.hypothesis.data or "")
    panel = {"similar_form": form, "similar": None, "similar_live": live_search_attributes()}
    if any(text.strip() for text in texts) and form.validate():
        panel["similar"] = similar_improvements(current_user, texts)
    return panel


def live_search_attributes() -> dict[str, str]:
    """htmx on the title and hypothesis inputs: as people type (half a second after they
    stop), fetch the panel for both fields and swap it in."""
    return {
        "hx-get": url_for("improvements.similar"),
        "hx-trigger": "input changed delay:500ms",
        "hx-target": "#similar-improvements",
        "hx-swap": "outerHTML",
        "hx-include": "[name=title],[name=hypothesis]",
    }


@blueprint.route("/similar")
def similar():
    """Search for improvements like a title and hypothesis (GET only: it never writes)."""
    panel = similar_panel(request.args)
    return render_page_or_fragment(
        "improvements/similar.html",
        "improvements/partials/similar.html",
        status=422 if panel["similar_form"].errors else 200,
        **panel,
    )
