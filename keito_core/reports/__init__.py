"""Read-side reports: SQL aggregations shared by the app and the report commands."""
