"""API v2 routes: expenses (to be written)."""
