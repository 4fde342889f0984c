"""Accounting sync: Xero and QuickBooks Online clients, OAuth tokens, the outbox and its engine.

Nothing here is imported by a command that does not sync: httpx and the vendor clients load only
when `keito sync` (or a push from the app) runs.
"""
