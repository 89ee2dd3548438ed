"""An idea's page, /ideas/<original id>: the original and its adoptions pooled (issue 22;
decision 0047). `views.py` holds the routes; `presenting.py` the forest plot and the table
that the staff page and its public counterpart (on the public register's blueprint) share."""

from flask import Blueprint

blueprint = Blueprint("ideas", __name__, url_prefix="/ideas")
