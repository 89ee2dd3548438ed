"""Publishing and the public register (aggregates only), and its open data."""
