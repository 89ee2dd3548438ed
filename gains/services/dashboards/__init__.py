"""The department and Treasury dashboards' figures."""
