"""HubClient against scripted servers on 127.0.0.1 when things go wrong: drops (with and without a close frame,
from aiohttp and from websockets) and the resync after them, and the answers a server gives at connect
(401/409/503, retried with backoff, a fresh login, or a clear stop; fail fast)."""

from __future__ import annotations

import asyncio

import pytest
from kit.client import Collector, client_for, fast_settings, no_secret, running, snapshot_taken
from kit.hub import API_KEY, PASSWORD, Conn
from kit.raw import RawHub, free_port
from kit.wait import wait_until
from kit.wire import frame, host_record, vm_record
from websockets.asyncio.server import ServerConnection

from tui.protocol.errors import HubError
from tui.settings import SecretStr
from tui.transport.client import HubClient

# ------------------------------------------------------------------------------------------------ drops


DROPS = [
    ("abort", None, "the connection ended without a close frame (a server restart or a network drop)"),
    ("close", 1000, "closed by the server (1000)"),
    ("close", 1001, "server going away: bye (1001)"),
    ("close", 1008, "closed by the server for a policy violation: bye (1008)"),
    ("close", 1011, "server error: bye (1011)"),
    ("close", 4000, "closed by the server (code 4000): bye"),
]


@pytest.mark.parametrize(("how", "code", "reason"), DROPS, ids=[f"{d[0]}-{d[1]}" for d in DROPS])
async def test_reconnect_after_a_drop(hub, collector, how, code, reason):
    async def script(conn: Conn) -> None:
        if hub.conns.index(conn) == 0:
            await snapshot_taken(hub, 1)
            if how == "abort":
                conn.abort()
            else:
                await conn.close(code, "" if code == 1000 else "bye")

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 2, what="the reconnect")
        reconnecting = [s for s in collector.statuses if s.state == "reconnecting"]
        assert len(reconnecting) == 1
        assert reconnecting[0].reason == reason and reconnecting[0].attempt == 1
        assert 0 <= reconnecting[0].delay <= client.settings.backoff_base
        assert "reconnecting in" in reconnecting[0].text
        snap = collector.snapshots[1]
        assert snap.reason == reason
        assert snap.down_since is not None and snap.down_since <= snap.at
        assert len(hub.conns) == 2 and client.client_id == hub.conns[1].client_id
    assert sum(1 for m, p, _ in hub.requests if p.endswith("/orchestrator/hosts")) == 2  # a snapshot per connect


@pytest.mark.parametrize("how", ["abort", "close-1011"])
async def test_reconnect_after_a_drop_from_a_websockets_server(how, collector):
    async def script(ws: ServerConnection) -> None:
        if len(raw.connections) == 1:
            await ws.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h1", "state": "healthy"}))
            await wait_until(lambda: raw.snapshots >= 1, what="the snapshot")
            if how == "abort":
                ws.transport.abort()
            else:
                await ws.close(1011, "internal")

    async with RawHub(script) as raw:
        raw.hosts = [host_record("h1", "raw.local")]
        raw.machines = [vm_record("v1", "h1", "raw-vm")]
        client = client_for(raw.url, collector)
        async with running(client):
            await collector.wait(lambda c: c.connections >= 2, what="the reconnect")
        assert raw.snapshots == 2 and raw.max_active == 1
        expected = "the connection ended without a close frame (a server restart or a network drop)" if how == "abort" else "server error: internal (1011)"
        assert collector.snapshots[1].reason == expected
        assert [s.hosts[0].id for s in collector.snapshots] == ["h1", "h1"]
        assert raw.paths[0] == "/api/v1/ws/subscribe?event_types=orchestrator,health"


async def test_down_since_is_the_start_of_each_outage(hub, collector):
    async def script(conn: Conn) -> None:
        index = hub.conns.index(conn)
        if index < 2:
            await snapshot_taken(hub, index + 1)
            await asyncio.sleep(0.2)
            conn.abort()

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 3, what="two reconnects")
    first, second, third = collector.snapshots
    assert first.down_since is None
    assert second.down_since is not None and third.down_since is not None
    # the second outage started after the first reconnect, not at the first outage
    assert third.down_since >= second.at


async def test_first_connect_after_failures_is_not_a_resync(hub, collector):
    hub.subscribe_answers = [503, 503]
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert len(collector.snapshots) == 1 and collector.snapshots[0].down_since is None


async def test_snapshot_failure_is_retried(hub, collector):
    hub.overrides["/api/v1/orchestrator/hosts"] = (500, '{"code": 500, "message": "database is down"}')
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: len([s for s in c.statuses if s.state == "reconnecting"]) >= 2,
                             what="two retries")
        assert "database is down" in collector.statuses[-1].reason or any(
            "database is down" in s.reason for s in collector.statuses)
        assert not collector.snapshots
        del hub.overrides["/api/v1/orchestrator/hosts"]
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        assert len(collector.snapshots) == 1


# ------------------------------------------------------------------------------------------------ answers at connect


@pytest.mark.parametrize(("status", "kind", "words"), [
    (409, "conflict", "one connection per IP"),
    (503, "unavailable", "Events Hub is not running"),
])
async def test_409_and_503_are_retried_with_backoff(hub, collector, status, kind, words):
    hub.subscribe_answers = [status, status, status]
    client = client_for(hub.url, collector, backoff_base=0.02)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    retries = [s for s in collector.statuses if s.state == "reconnecting"]
    assert [s.attempt for s in retries] == [1, 2, 3]
    for s in retries:
        assert s.error is not None and s.error.kind == kind and s.error.status == status
        assert words in s.reason and f"({status})" in s.reason
        assert 0 <= s.delay <= 0.02 * 2 ** (s.attempt - 1)
        no_secret(s.text + s.reason)
    # the attempts are spaced by at least the delays the client announced
    times = [a.at for a in hub.attempts]
    for s, (t0, t1) in zip(retries, zip(times, times[1:], strict=False), strict=False):
        assert t1 - t0 >= s.delay - 0.01


async def test_no_reconnect_storm(hub, collector):
    hub.subscribe_answers = [503] * 10_000
    client = client_for(hub.url, collector, backoff_base=0.05, backoff_cap=0.2)
    async with running(client):
        await asyncio.sleep(1.0)
        attempts = len(hub.attempts)
    # without backoff this would be hundreds; with it, about 1 s / 0.1 s mean delay
    assert 2 <= attempts <= 40, attempts
    assert client.state in ("reconnecting", "stopped", "connecting")


async def test_401_logs_in_again_with_user_and_password(hub, collector):
    hub.tokens.clear()  # the token we hold has expired
    client = client_for(hub.url, collector, user="admin@example.com", password=SecretStr(PASSWORD))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert hub.logins == [{"email": "admin@example.com", "password": PASSWORD}]
    assert [a.status for a in hub.attempts] == [401, 101]
    assert hub.attempts[1].headers["Authorization"].startswith("Bearer tok-fresh-")


async def test_401_logs_in_again_with_the_api_key(hub, collector):
    """The key is not taken as a header here, only at login: the client trades it for a token."""
    client = client_for(hub.url, collector, token=None, api_key=SecretStr(API_KEY))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert hub.attempts[0].headers["X-Api-Key"] == API_KEY and hub.attempts[0].status == 401
    assert hub.logins == [{"api_key": API_KEY}]
    assert hub.attempts[1].headers["Authorization"].startswith("Bearer tok-fresh-")


async def test_401_without_a_way_to_log_in_ends_the_run(hub, collector):
    hub.tokens.clear()
    hub.echo_auth = True
    client = client_for(hub.url, collector)
    async with running(client) as task:
        await asyncio.wait_for(task, 5)
    last = collector.statuses[-1]
    assert last.state == "auth_failed" and client.state == "auth_failed"
    assert "authentication failed" in last.text and "401" in last.text
    assert last.error is not None and last.error.kind == "auth"
    no_secret(last.text)
    assert len(hub.attempts) == 1 and not hub.logins


async def test_401_when_the_fresh_login_is_refused_too(hub, collector):
    hub.tokens.clear()
    client = client_for(hub.url, collector, user="admin", password=SecretStr("wrong-password"))
    async with running(client) as task:
        await asyncio.wait_for(task, 5)
    assert collector.statuses[-1].state == "auth_failed"
    assert len(hub.logins) == 1 and len(hub.attempts) == 1


async def test_fail_fast_raises_on_the_first_connect():
    port = free_port()
    client = HubClient(fast_settings(f"http://127.0.0.1:{port}"), Collector(), fail_fast=True)
    with pytest.raises(HubError) as info:
        await asyncio.wait_for(client.run(), 5)
    assert info.value.kind == "unreachable" and "connection refused" in str(info.value)
    await client.aclose()


@pytest.mark.parametrize(("status", "kind"), [(503, "unavailable"), (409, "conflict"), (401, "auth")])
async def test_fail_fast_raises_the_servers_answer(hub, status, kind):
    hub.subscribe_answers = [status]
    client = HubClient(fast_settings(hub.url), Collector(), fail_fast=True)
    with pytest.raises(HubError) as info:
        await asyncio.wait_for(client.run(), 5)
    assert info.value.kind == kind and info.value.status == status
    no_secret(str(info.value))
    assert len(hub.attempts) == 1
    await client.aclose()


async def test_fail_fast_reports_the_failed_login_not_the_401(hub):
    hub.tokens.clear()
    hub.overrides["/api/v1/auth/token"] = (503, '{"code": 503, "message": "auth service down"}')
    client = HubClient(fast_settings(hub.url, user="admin", password=SecretStr(PASSWORD)), Collector(), fail_fast=True)
    with pytest.raises(HubError) as info:
        await asyncio.wait_for(client.run(), 5)
    assert "auth service down" in str(info.value)
    await client.aclose()
