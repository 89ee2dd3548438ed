"""The `gains` commands. `within` applies a bound of `gains.bounds` to an option, as the web
forms and the API apply it, so the command line refuses the same values with the same words."""

from __future__ import annotations

import click

from gains.bounds import DateBound, NumberBound, TextBound


def within(bound: NumberBound | DateBound | TextBound):
    """A click callback refusing what `bound` refuses (a usage error, exit status 2)."""

    def check(context: click.Context, parameter: click.Parameter, value):
        if value is not None:
            problem = bound.problem(value)
            if problem:
                raise click.BadParameter(problem)
        return value

    return check
