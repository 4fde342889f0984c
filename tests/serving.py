"""Testing `keito serve`: the API v2 app in process, every exchange checked against the spec.

`Api` wraps Starlette's TestClient around `create_app` on the test's workspace. Every response
is validated with openapi-core against ../shared/specs/keito/openapi-v2.yaml (the request too,
unless a test sends a bad one on purpose with `check_request=False`); a mismatch is recorded in
`api.violations`, and the `api` fixture fails the test when any is left. 429 answers, which the
spec does not declare, are checked against its Error schema instead.

    def test_something(api):
        created = api.post("/api/v2/time_entries", json={...})
        assert created.status_code == 200
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

SPEC = Path(__file__).resolve().parents[2] / "shared" / "specs" / "keito" / "openapi-v2.yaml"


@functools.cache
def spec() -> Any:
    from openapi_core import OpenAPI

    with SPEC.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return OpenAPI.from_dict(document)


@functools.cache
def _error_schema() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)["components"]["schemas"]["Error"]


class _Request:
    """openapi-core's view of an httpx request."""

    def __init__(self, request: Any) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        # The spec declares its servers (localhost:3000, app.keito.io); what is checked is the
        # API below them, wherever the test's server listens.
        self.host_url = "http://localhost:3000"
        self.path = request.url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "application/json")
        self.body = request.content or None
        self.full_url_pattern = f"{self.host_url}{self.path}"


class _Response:
    def __init__(self, response: Any) -> None:
        from werkzeug.datastructures import Headers

        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "application/json")
        self.headers = Headers(dict(response.headers))


def spec_violations(response: Any, *, check_request: bool = True) -> list[str]:
    """Where an httpx `response` (and its request) differ from the spec; [] when they agree."""
    found: list[str] = []
    where = f"{response.request.method} {response.request.url.path}"
    request = _Request(response.request)
    if response.status_code == 429:
        from jsonschema import validate

        try:
            validate(response.json(), _error_schema())
        except Exception as exc:  # noqa: BLE001 - recorded
            found.append(f"{where} -> 429: {exc}")
        if "retry-after" not in response.headers:
            found.append(f"{where} -> 429 without Retry-After")
        return found
    if response.headers.get("x-keito-api-version") != "2":
        found.append(f"{where}: no X-Keito-API-Version: 2")
    try:
        if check_request:
            spec().validate_request(request)
        spec().validate_response(request, _Response(response))
    except Exception as exc:  # noqa: BLE001 - recorded with its details
        details = "; ".join(str(e) for e in getattr(exc, "schema_errors", []) or [])
        found.append(f"{where} -> {response.status_code}: {exc} {details}".strip())
    return found


class Api:
    """The app in process, with a key and the account ID sent on every request."""

    def __init__(self, app: Any, *, key: str, account_id: str) -> None:
        from starlette.testclient import TestClient

        self.client = TestClient(app, base_url="http://localhost:3000",
                                 raise_server_exceptions=True)
        self.headers = {"Authorization": f"Bearer {key}", "Keito-Account-Id": account_id}
        self.violations: list[str] = []

    def request(self, method: str, path: str, *, check_request: bool = True,
                headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        sent = {**self.headers, **(headers or {})}
        response = self.client.request(method, path, headers=sent, **kwargs)
        self.check(response, check_request=check_request)
        return response

    def check(self, response: Any, *, check_request: bool = True) -> None:
        """Record where `response` (and its request) differ from the spec."""
        self.violations += spec_violations(response, check_request=check_request)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


def make_key(workspace: Any, user_id: str | None = None) -> str:
    """A new API key of `user_id` (default: the administrator), made by the administrator."""
    from keito_core.services.directory.keys import create_key

    with workspace.session() as session:
        _, secret = create_key(session, actor=workspace.actor(session),
                               user_ref=user_id or workspace.admin_id, name="api test",
                               now=datetime.now(UTC))
    return secret


def make_api(workspace: Any, *, user_id: str | None = None, limit: Any = None,
             clock: Any = None) -> Api:
    from keito_core.platform.runtime import make_runtime
    from keito_core.server.app import create_app
    from keito_core.server.limits import RateLimit

    app = create_app(make_runtime(), limit=limit or RateLimit(per_minute=0, per_day=0),
                     clock=clock)
    return Api(app, key=make_key(workspace, user_id), account_id=workspace.workspace_id)


@pytest.fixture
def api(workspace: Any) -> Iterator[Api]:
    """The administrator's API client; fails the test on any spec violation."""
    client = make_api(workspace)
    yield client
    assert client.violations == [], json.dumps(client.violations, indent=1)


@pytest.fixture
def api_for(workspace: Any) -> Iterator[Any]:
    """A factory of API clients acting as a given user (`api_for(user_id, clock=...)`); fails
    the test on any spec violation of any of them."""
    made: list[Api] = []

    def client(user_id: str, *, clock: Any = None) -> Api:
        api = make_api(workspace, user_id=user_id, clock=clock)
        made.append(api)
        return api

    yield client
    for api in made:
        assert api.violations == [], json.dumps(api.violations, indent=1)
