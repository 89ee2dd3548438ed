"""Manager review: the department's queue and the review page with its decision."""
