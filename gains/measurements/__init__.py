"""Measurements: an improvement's rows, typed in or uploaded as CSV, and their batches."""
