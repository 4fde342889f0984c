"""The full-screen app: `keito` with no arguments."""
