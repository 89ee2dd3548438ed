"""Server-rendered SVG charts (matplotlib's SVG backend). No Flask here: data in, SVG text out.

Each chart is shown with `<img alt>` from its own URL and comes with the table of numbers
behind it on the page; see docs/ARCHITECTURE.md "Charts".
"""
