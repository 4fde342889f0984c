"""Typer command groups: parse -> service -> render through one Output object."""
