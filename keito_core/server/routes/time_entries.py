"""API v2 routes: time_entries (to be written)."""
