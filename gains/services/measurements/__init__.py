"""Measurements: one validated row, the one recording service (form, CSV, API,
command line), uploads and the bulk import."""
