"""Manager review: decisions with their snapshot, and the review queue."""
