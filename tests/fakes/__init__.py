"""In-process fakes of the vendor services Keito talks to (Xero), for tests without the internet."""
