"""Domain operations. No Flask request objects here: callers pass the acting user."""
