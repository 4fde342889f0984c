"""API v2 routes: directory (to be written)."""
