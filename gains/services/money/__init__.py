"""Money: annual savings, claimed and validated."""
