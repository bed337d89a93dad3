"""Insights: dashboards and the insights feed (web side of the analytics engine)."""
