"""Reusable widgets of the full-screen app."""
