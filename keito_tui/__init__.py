"""Keito's terminal interfaces: the command set (cli) and the full-screen app (app)."""
