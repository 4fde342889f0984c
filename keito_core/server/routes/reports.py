"""API v2 routes: reports (to be written)."""
