"""Dashboards, one blueprint at /dashboards: a department's (views.py) and Treasury's with its
files (treasury.py). Both modules put their routes on the blueprint defined here, so neither
imports the other; the app factory imports both before registering it."""

from flask import Blueprint

blueprint = Blueprint("dashboards", __name__, url_prefix="/dashboards")
