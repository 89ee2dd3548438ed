"""Estimates: per-cell summaries kept on write, the current estimate, recompute-all,
the charts' numbers and the words."""
