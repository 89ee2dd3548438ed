"""Gains benchmarks: `make bench` (full sizes) or `make bench-quick`; see docs/BENCHMARKS.md."""
