"""Improvements, one blueprint at /improvements: the register, an improvement's page and its
plan (views.py) and the transitions with their confirmation pages (transitions.py). Both modules
put their routes on the blueprint defined here, so neither imports the other; the app factory
imports both before registering it."""

from flask import Blueprint

blueprint = Blueprint("improvements", __name__, url_prefix="/improvements")
