"""API v2 routes: invoices (to be written)."""
