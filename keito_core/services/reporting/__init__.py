"""Reporting use cases: saving and deleting named reports."""
