"""Ideas: an improvement tried again by other teams (adoption), the idea's pooled result
across every place that tried it, and which ideas spread (docs/decisions/0047)."""
