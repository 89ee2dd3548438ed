"""The audit trail of one improvement, for whoever may read the improvement."""
