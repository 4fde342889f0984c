"""Input and output beyond the database: email, and later PDF, spreadsheets and importers."""
