"""A connection's tokens: kept in the keyring or a 0600 file, refreshed by the injected clock,
the rotated refresh token stored before use, one refresh across threads and processes, and a
refused grant reported once."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import keyring
import pytest
from keyring.backends import fail
from memory_keyring import MemoryKeyring, keyring_or_file

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.sync.oauth import GrantLost, TokenSet
from keito_core.sync.tokens import StoredTokens, TokenStore

T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["keyring", "file"])
def backend(request):
    """Each test runs with a working keyring and with none (the 0600 file); never the real one."""
    with keyring_or_file(request.param) as chosen:
        yield chosen


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Vendor:
    """A token endpoint that rotates on every refresh and refuses a refresh token used twice."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.valid: set[str] = set()
        self.spent: list[str] = []
        self.revoked = False

    def issue(self) -> TokenSet:
        refresh = "rt-" + secrets.token_hex(4)
        self.valid.add(refresh)
        return TokenSet("at-" + secrets.token_hex(4), self.clock() + timedelta(minutes=30),
                        refresh)

    def refresh(self, refresh_token: str) -> TokenSet:
        self.spent.append(refresh_token)
        if self.revoked or refresh_token not in self.valid:
            raise GrantLost(SyncProvider.XERO)
        self.valid.discard(refresh_token)
        return self.issue()


@pytest.fixture
def setup(tmp_path, backend):
    clock = Clock()
    vendor = Vendor(clock)
    store = TokenStore("acc_test", config_dir=tmp_path)
    first = vendor.issue()
    store.save(first)
    lost: list[str] = []
    source = StoredTokens(store=store, provider="xero", refresh=vendor.refresh, clock=clock,
                          on_grant_lost=lost.append)
    return clock, vendor, store, first, source, lost


def test_tokens_go_to_the_keyring_else_a_private_file(tmp_path, backend, setup):
    _, _, store, first, _, _ = setup
    path = tmp_path / "sync" / "tokens_acc_test"
    assert store.load() == first
    if isinstance(backend, MemoryKeyring):
        assert store.where() == "keyring"
        assert first.refresh_token not in path.read_text()
        ((service, username),) = backend.passwords
        assert service == "keito" and username.startswith("tokens_acc_test:")
        assert str(tmp_path.resolve()) in username  # another KEITO_HOME, another entry
    else:
        assert store.where() == str(path)
        assert first.refresh_token in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store.delete() and store.load() is None
    assert not path.exists() and (not isinstance(backend, MemoryKeyring) or not backend.passwords)


def test_a_fresh_token_is_used_as_it_is(setup):
    clock, vendor, _, first, source, _ = setup
    clock.now = first.expires_at - timedelta(seconds=61)
    assert source.access_token() == first.access_token
    assert vendor.spent == []


def test_a_token_within_a_minute_of_expiry_is_refreshed_and_the_rotation_stored(setup):
    clock, vendor, store, first, source, _ = setup
    clock.now = first.expires_at - timedelta(seconds=59)
    token = source.access_token()
    assert vendor.spent == [first.refresh_token]
    stored = store.load()
    assert stored is not None
    assert token == stored.access_token != first.access_token
    assert stored.refresh_token in vendor.valid  # the new refresh token is the one kept
    assert stored.expires_at == clock.now + timedelta(minutes=30)
    # Used again while fresh: no second refresh.
    assert source.access_token() == token and len(vendor.spent) == 1


def test_the_new_refresh_token_is_stored_before_the_access_token_is_used(setup, monkeypatch):
    clock, vendor, store, first, source, _ = setup
    clock.now = first.expires_at
    saved: list[TokenSet] = []

    def failing_save(tokens: TokenSet) -> str:
        saved.append(tokens)
        raise OSError("disk full")

    monkeypatch.setattr(store, "save", failing_save)
    with pytest.raises(OSError):
        source.access_token()
    # The vendor rotated, the store was asked to keep the new pair, and no token came out.
    assert vendor.spent == [first.refresh_token]
    assert [t.refresh_token for t in saved] == list(vendor.valid)
    assert source._held is None or source._held.access_token == first.access_token


def test_another_process_s_refresh_is_used_instead_of_spending_again(setup):
    clock, vendor, store, first, source, _ = setup
    clock.now = first.expires_at + timedelta(minutes=5)
    other = StoredTokens(store=TokenStore("acc_test", config_dir=store.config_dir),
                         provider="xero", refresh=vendor.refresh, clock=clock)
    theirs = other.access_token()
    # This object still holds the expired pair in memory; it re-reads inside the lock.
    source._held = first
    assert source.access_token() == theirs
    assert vendor.spent == [first.refresh_token]


def test_refreshed_after_a_401_replaces_the_rejected_token_once(setup):
    clock, vendor, store, first, source, _ = setup
    assert source.access_token() == first.access_token
    new = source.refreshed(first.access_token)
    assert new != first.access_token and vendor.spent == [first.refresh_token]
    # A second caller rejected the old token too: it gets the new one, nothing is spent.
    other = StoredTokens(store=store, provider="xero", refresh=vendor.refresh, clock=clock)
    assert other.refreshed(first.access_token) == new
    assert len(vendor.spent) == 1
    # The new token rejected as well (revoked at the vendor, say): a real refresh.
    assert other.refreshed(new) not in (new, first.access_token)
    assert len(vendor.spent) == 2


def test_a_refused_grant_is_reported_once_and_says_to_connect_again(setup):
    clock, vendor, _, first, source, lost = setup
    vendor.revoked = True
    clock.now = first.expires_at
    with pytest.raises(KeitoError) as caught:
        source.access_token()
    assert caught.value.code == "authentication_error"
    assert "`keito sync connect xero` again" in caught.value.message
    assert lost == ["invalid_grant"]


def test_a_failing_grant_lost_callback_does_not_hide_the_refusal(setup):
    clock, vendor, store, first, _, _ = setup
    vendor.revoked = True
    clock.now = first.expires_at

    def broken(detail: str) -> None:
        raise RuntimeError("database is down")

    source = StoredTokens(store=store, provider="xero", refresh=vendor.refresh, clock=clock,
                          on_grant_lost=broken)
    with pytest.raises(GrantLost):
        source.access_token()


def test_no_stored_tokens_is_an_authentication_error_without_marking(tmp_path, backend):
    lost: list[str] = []
    source = StoredTokens(store=TokenStore("acc_none", config_dir=tmp_path), provider="quickbooks",
                          refresh=Vendor(Clock()).refresh, clock=Clock(), on_grant_lost=lost.append)
    with pytest.raises(KeitoError) as caught:
        source.access_token()
    assert caught.value.code == "authentication_error"
    assert "keito sync connect quickbooks" in (caught.value.hint or "")
    assert lost == []


def test_threads_refreshing_at_once_spend_the_refresh_token_once(setup):
    clock, vendor, store, first, _, _ = setup
    clock.now = first.expires_at
    slow_refresh = vendor.refresh

    def refresh(token: str) -> TokenSet:
        time.sleep(0.05)
        return slow_refresh(token)

    got: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        source = StoredTokens(store=TokenStore("acc_test", config_dir=store.config_dir),
                              provider="xero", refresh=refresh, clock=clock)
        try:
            got.append(source.access_token())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert vendor.spent == [first.refresh_token]
    assert len(set(got)) == 1 and len(got) == 6


# -- two processes against a real token endpoint ----------------------------------------------


class TokenServer(ThreadingHTTPServer):
    """Xero's token endpoint over HTTP: rotates, refuses a reused refresh token, answers slowly
    (so an unserialized second refresh would arrive while the first is in flight)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TokenHandler)
        self.lock = threading.Lock()
        self.valid: set[str] = set()
        self.access: set[str] = set()
        self.refreshes: list[str] = []
        self.refused: list[str] = []

    def issue(self) -> dict:
        refresh, access = "rt-" + secrets.token_hex(8), "at-" + secrets.token_hex(8)
        self.valid.add(refresh)
        self.access.add(access)
        return {"access_token": access, "refresh_token": refresh, "expires_in": 1800,
                "token_type": "Bearer"}


class TokenHandler(BaseHTTPRequestHandler):
    server: TokenServer

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        assert form.get("client_id") == "CID" and form.get("grant_type") == "refresh_token"
        token = form.get("refresh_token", "")
        with self.server.lock:
            if token in self.server.valid:
                self.server.valid.discard(token)
                self.server.refreshes.append(token)
                status, body = 200, self.server.issue()
            else:
                self.server.refused.append(token)
                status, body = 400, {"error": "invalid_grant"}
        time.sleep(0.4)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002
        pass


WORKER = """
import sys, time
from datetime import datetime
from pathlib import Path
import httpx
from keito_core.sync.tokens import token_source

config_dir, go, now = Path(sys.argv[1]), Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
with httpx.Client() as client:
    source = token_source("acc_race", "xero", config_dir=config_dir, client=client,
                          clock=lambda: now)
    while not go.exists():
        time.sleep(0.005)
    print(source.access_token())
"""


def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(tmp_path):
    server = TokenServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        first = server.issue()
        store = TokenStore("acc_race", config_dir=tmp_path)
        store.save(TokenSet(first["access_token"], T0 + timedelta(minutes=30),
                            first["refresh_token"]))
        go = tmp_path / "go"
        env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
               "KEITO_XERO_CLIENT_ID": "CID",
               "KEITO_XERO_TOKEN_URL": f"http://127.0.0.1:{server.server_port}/connect/token"}
        later = (T0 + timedelta(hours=1)).isoformat()  # both see the access token expired
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), str(go), later],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env, cwd=ROOT)
                   for _ in range(2)]
        time.sleep(1.0)  # both imported and waiting
        go.touch()
        outputs = [worker.communicate(timeout=60) for worker in workers]
        stored = store.load()
    finally:
        keyring.set_keyring(previous)
        server.shutdown()
        server.server_close()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    tokens = [out.strip() for out, _ in outputs]
    assert server.refreshes == [first["refresh_token"]] and server.refused == []
    assert tokens[0] == tokens[1] and tokens[0] in server.access
    assert tokens[0] != first["access_token"]
    assert stored is not None and stored.access_token == tokens[0]
    assert stored.refresh_token in server.valid  # the rotated token kept is the live one
