"""Use cases: functions taking (session, *, actor, ...) that check, apply rules and write."""
