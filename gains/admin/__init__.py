"""Administration: departments, teams, people, and the whole audit trail (admins only)."""
