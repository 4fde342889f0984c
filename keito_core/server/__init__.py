"""The Keito API v2 over HTTP (`keito serve`): a Starlette application over the same services,
rules and permissions as the command line. Starlette and uvicorn are an optional extra
(`pip install "keito-tui[serve]"`) imported only by this package."""
