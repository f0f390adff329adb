"""HubClient against scripted servers on 127.0.0.1: auth, confirmation, heartbeat, frame sizes, reconnects with
backoff and resync, channel changes, and the answers a server gives at connect (401/409/503)."""

from __future__ import annotations

import asyncio
import json
import random
import time

import pytest
from kit import tls
from kit.client import Collector, fast_settings, running
from kit.hub import API_KEY, PASSWORD, TOKEN, Conn, HubServer
from kit.raw import RawHub, free_port
from kit.wait import wait_until
from kit.wire import HOST_A, MiB, frame, host_record, sized_frame, vm_record
from websockets.asyncio.server import ServerConnection

from tui.protocol.errors import HubError
from tui.protocol.models import Confirmation, HostStateBody
from tui.protocol.parse import body_model
from tui.settings import SecretStr
from tui.transport.client import HubClient, backoff_delay


def client_for(url: str, sink: Collector, **kw) -> HubClient:
    fail_fast = kw.pop("fail_fast", False)
    return HubClient(fast_settings(url, **kw), sink, fail_fast=fail_fast)


async def snapshot_taken(hub: HubServer, n: int) -> None:
    """Wait until the server has answered ``n`` host listings (the client is past the confirmation)."""
    await wait_until(lambda: sum(1 for _, p, _ in hub.requests if p.endswith("/orchestrator/hosts")) >= n,
                     what=f"snapshot {n}")


def no_secret(text: str) -> None:
    for secret in (TOKEN, PASSWORD, API_KEY):
        assert secret not in text


# ------------------------------------------------------------------------------------------------ connect


async def test_bearer_token_and_channels_reach_the_server(hub, collector):
    client = client_for(hub.url, collector, channels=("orchestrator", "health", "pdfm"))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    attempt = hub.attempts[0]
    assert attempt.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "X-Api-Key" not in attempt.headers
    assert attempt.query == {"event_types": "orchestrator,health,pdfm"}
    assert hub.conns[0].channels == ["orchestrator", "health", "pdfm"]


async def test_api_key_header_reaches_the_server(hub, collector):
    hub.header_api_keys.add(API_KEY)
    client = client_for(hub.url, collector, token=None, api_key=SecretStr(API_KEY))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert hub.attempts[0].headers["X-Api-Key"] == API_KEY
    assert "Authorization" not in hub.attempts[0].headers
    assert not hub.logins


async def test_confirmation_gives_client_id_and_subscriptions(hub, collector):
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        conn = hub.conns[0]
        assert client.client_id == conn.client_id
        assert client.subscriptions == ("orchestrator", "health", "global")
        status = [s for s in collector.statuses if s.state == "connected"][0]
        assert status.client_id == conn.client_id and status.missing == ()
        # the order a consumer relies on: the confirmation frame, then the snapshot, then "connected"
        kinds = [type(i).__name__ for i in collector.items]
        assert kinds[:4] == ["Status", "Event", "Snapshot", "Status"]
        first = collector.events[0]
        assert body_model(first.event_type, first.message) is Confirmation and first.body["client_id"] == conn.client_id
        assert not collector.notes


async def test_a_channel_the_server_dropped_is_reported_not_assumed(hub, collector):
    hub.supported = {"orchestrator", "health", "global"}
    client = client_for(hub.url, collector, channels=("orchestrator", "health", "pdfm"))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        assert client.subscriptions == ("orchestrator", "health", "global")
        assert [n.text for n in collector.notes] == ["the server did not confirm: pdfm"]
        assert collector.statuses[-1].missing == ("pdfm",)


async def test_snapshot_after_connect(hub, collector):
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    snap = collector.snapshots[0]
    assert [h.id for h in snap.hosts] == [h["id"] for h in hub.hosts]
    assert [v.name for v in snap.vms] == ["ci-runner-1", "ci-runner-2"]
    assert snap.down_since is None


async def test_a_server_without_the_orchestrator_listing(hub, collector):
    """A single host (pdfm only) answers 404 for the listing: live events only, said once, no retry loop."""
    hub.overrides["/api/v1/orchestrator/hosts"] = (404, "404 page not found")
    client = client_for(hub.url, collector, channels=("pdfm",))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        assert len(hub.attempts) == 1
        snap = collector.snapshots[0]
        assert (snap.hosts, snap.vms) == ([], [])
        assert any("no orchestrator listing" in n.text for n in collector.notes)


async def test_without_snapshot_no_rest_call(hub, collector):
    client = HubClient(fast_settings(hub.url), collector, snapshot=False)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert not collector.snapshots
    assert [p for _, p, _ in hub.requests] == ["/api/v1/ws/subscribe"]


async def test_events_reach_the_sink_in_order(hub, collector):
    async def script(conn: Conn) -> None:
        for i in range(200):
            await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE",
                                  {"host_id": HOST_A, "state": "healthy" if i % 2 else "unhealthy"}, id=f"ev-{i}"))

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: len([e for e in c.events if e.id.startswith("ev-")]) == 200, what="200 events")
    got = [e for e in collector.events if e.id.startswith("ev-")]
    assert [e.id for e in got] == [f"ev-{i}" for i in range(200)]
    assert body_model(got[-1].event_type, got[-1].message) is HostStateBody and got[-1].body["state"] == "healthy"


async def test_garbage_frames_do_not_break_the_connection(hub, collector):
    async def script(conn: Conn) -> None:
        await conn.send("this is not JSON")
        await conn.send(b"\x00\x01binary")
        await conn.send("[1,2]")
        await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}, id="ok"))

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: any(e.id == "ok" for e in c.events), what="the good frame")
        assert [m.reason.split(" ")[0] for m in collector.malformed] == ["not", "binary", "JSON"]
        assert len(hub.conns) == 1 and client.state == "connected"


async def test_an_evicted_confirmation(hub, collector):
    """An event instead of the confirmation (the server's queue evicted it): hubtop asks for its client id and
    shows the subscriptions it asked for, marked unconfirmed."""
    hub.confirm = False

    async def script(conn: Conn) -> None:
        await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}))

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await wait_until(lambda: client.client_id is not None, what="the client id")
        assert client.client_id == hub.conns[0].client_id
        assert client.subscriptions == ("orchestrator", "health", "global") and client.unconfirmed
        assert json.loads(hub.conns[0].received[0]) == {"event_type": "system", "message": "client-id"}
        assert any("confirmation did not arrive" in n.text for n in collector.notes)


async def test_a_server_that_never_confirms(hub, collector):
    hub.confirm = False
    client = client_for(hub.url, collector, timeout=0.3)
    async with running(client):
        await collector.wait(lambda c: len(hub.conns) >= 2, what="a retry")
        reasons = [s.reason for s in collector.statuses if s.state == "reconnecting"]
        assert reasons[0] == f"{client.settings.display_url} sent no confirmation in 0.3 s"
        assert not collector.snapshots


# ------------------------------------------------------------------------------------------------ heartbeat


async def test_health_ping_every_interval(hub, collector):
    client = client_for(hub.url, collector, ping_interval=0.2, pong_timeout=0.5)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await wait_until(lambda: hub.conns[0].pings >= 3, what="3 pings")
        assert len(hub.conns) == 1
        pongs = [e for e in collector.events if e.event_type == "health" and e.message == "pong"]
        assert len(pongs) >= 2
    pings = [json.loads(t) for t in hub.conns[0].received]
    assert pings[0] == {"event_type": "health", "message": "ping"}


async def test_no_pong_means_reconnect(hub, collector):
    hub.pong = False
    client = client_for(hub.url, collector, ping_interval=0.2, pong_timeout=0.2)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 2, what="the reconnect")
        assert hub.conns[0].pings == 1 and hub.conns[0].closed.is_set()
        assert any(n.text == "no pong within 0.2 s; reconnecting" for n in collector.notes)
        snap = collector.snapshots[1]
        assert snap.down_since is not None and snap.reason.startswith("no pong within 0.2 s")


# ------------------------------------------------------------------------------------------------ frame size


async def test_frames_up_to_16_mib_are_accepted_larger_refused(hub, collector):
    async def script(conn: Conn) -> None:
        if hub.conns.index(conn) == 0:
            await conn.send(sized_frame(16 * MiB))
            await conn.send(sized_frame(16 * MiB + 1))

    hub.script = script
    client = client_for(hub.url, collector)
    assert client.settings.max_frame == 16 * MiB
    async with running(client):
        await collector.wait(lambda c: c.connections >= 2, timeout=10, what="the reconnect")
        big = [e for e in collector.events if e.id.startswith("big-")]
        assert [e.id for e in big] == [f"big-{16 * MiB}"]
        assert len(big[0].body["log"]["message"]) > 16 * MiB - 200
        notes = [n.text for n in collector.notes]
        assert "a frame larger than 16 MiB was refused; reconnected" in notes
        assert collector.snapshots[1].reason == "frame too large"


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


# ------------------------------------------------------------------------------------------------ backoff


def test_backoff_delay_full_jitter_bounds():
    rng = random.Random(1234)
    first = [backoff_delay(1, rng=rng) for _ in range(2000)]
    assert all(0 <= d <= 1.0 for d in first)
    assert max(first) > 0.95 and min(first) < 0.05  # spread over the whole range: full jitter
    for attempt in range(1, 40):
        ceiling = min(30.0, 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays), attempt
    late = [backoff_delay(12, rng=rng) for _ in range(2000)]
    assert max(late) <= 30.0 and max(late) > 29.0


def test_backoff_delay_is_reproducible_with_a_seed():
    a = [backoff_delay(n, 0.5, 10.0, random.Random(7)) for n in range(1, 10)]
    b = [backoff_delay(n, 0.5, 10.0, random.Random(7)) for n in range(1, 10)]
    assert a == b
    assert a == [random.Random(7).uniform(0, min(10.0, 0.5 * 2 ** (n - 1))) for n in range(1, 10)]


def test_backoff_delay_after_a_very_long_outage():
    """Hours of a dead server mean thousands of attempts; the delay stays capped and never overflows."""
    rng = random.Random(3)
    for attempt in (1024, 1100, 5000, 10**6):
        assert 0 <= backoff_delay(attempt, rng=rng) <= 30.0


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


# ------------------------------------------------------------------------------------------------ channels


async def test_removing_a_channel_unsubscribes_in_place(hub, collector):
    client = client_for(hub.url, collector, channels=("orchestrator", "health", "pdfm"))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        live_id = hub.conns[0].client_id
        await client.set_channels(["orchestrator", "health"])
        assert hub.unsubscribes == [{"client_id": live_id, "event_types": ["pdfm"]}]
        assert client.subscriptions == ("orchestrator", "health", "global")
        assert hub.conns[0].subscriptions == ["orchestrator", "health", "global"]
        assert "unsubscribed from pdfm" in [n.text for n in collector.notes]
        assert len(hub.conns) == 1 and not hub.conns[0].closed.is_set()
        assert collector.statuses[-1].state == "connected"


async def test_unsubscribe_partial_answer(hub, collector):
    hub.unsubscribe_answer = "partial"
    client = client_for(hub.url, collector, channels=("orchestrator", "health", "pdfm", "stats"))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await client.set_channels(["orchestrator", "health"])
        sent = hub.unsubscribes[0]["event_types"]
        done, not_done = sent[0], sent[1]
        assert set(sent) == {"pdfm", "stats"}
        notes = [n.text for n in collector.notes]
        assert f"unsubscribed from {done}" in notes and f"the server did not unsubscribe {not_done}" in notes
        assert done not in client.subscriptions and not_done in client.subscriptions


async def test_unsubscribe_refused(hub, collector):
    hub.unsubscribe_answer = "error"
    client = client_for(hub.url, collector, channels=("orchestrator", "health", "pdfm"))
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await client.set_channels(["orchestrator", "health"])
        failed = [n for n in collector.notes if n.text.startswith("unsubscribe failed")]
        assert failed and failed[0].level == "error" and "400" in failed[0].text
        assert "pdfm" in client.subscriptions and "pdfm" in client.channels
        no_secret(failed[0].text)


async def test_adding_a_channel_reconnects_with_the_new_set(hub, collector):
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await client.set_channels(["orchestrator", "health", "pdfm"])
        await collector.wait(lambda c: c.connections >= 2, what="the planned reconnect")
        assert [a.query["event_types"] for a in hub.attempts] == ["orchestrator,health", "orchestrator,health,pdfm"]
        assert hub.max_active == 1, "the old socket is closed before the new one opens"
        assert hub.conns[0].closed.is_set()
        assert client.subscriptions == ("orchestrator", "health", "pdfm", "global")
        assert not hub.unsubscribes
        assert len(collector.snapshots) == 2


async def test_removing_every_channel_then_a_reconnect_keeps_global_only(hub, collector):
    async def script(conn: Conn) -> None:
        await conn.closed.wait()

    hub.script = script
    client = client_for(hub.url, collector)
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
        await client.set_channels([])
        assert hub.unsubscribes[0]["event_types"] == ["health", "orchestrator"]
        hub.conns[0].abort()
        await collector.wait(lambda c: len(c.snapshots) == 2 and c.connections >= 3, what="the reconnect")
        assert hub.attempts[1].query["event_types"] == "global"
        assert client.subscriptions == ("global",)


async def test_channels_changed_while_disconnected_apply_at_the_next_connect(hub, collector):
    client = client_for(hub.url, collector)
    await client.set_channels(["pdfm"])
    async with running(client):
        await collector.wait(lambda c: c.connections >= 1, what="connected")
    assert hub.attempts[0].query["event_types"] == "pdfm"


# ------------------------------------------------------------------------------------------------ stop, TLS


async def test_stop_while_connecting_ends_the_run(hub, collector):
    hub.handshake_delay = 0.3
    client = client_for(hub.url, collector)
    task = asyncio.create_task(client.run())
    await wait_until(lambda: any(p.endswith("/ws/subscribe") for _, p, _ in hub.requests), what="the handshake")
    await client.stop()
    try:
        await asyncio.wait_for(task, 3)
    finally:
        task.cancel()
        await client.aclose()
    assert client.state == "stopped"
    await wait_until(lambda: hub.active == 0, what="the server to see the socket go")


async def test_stop_ends_a_connected_run(hub, collector):
    client = client_for(hub.url, collector)
    task = asyncio.create_task(client.run())
    await collector.wait(lambda c: c.connections >= 1, what="connected")
    t0 = time.monotonic()
    await client.stop()
    await asyncio.wait_for(task, 3)
    assert time.monotonic() - t0 < 3
    assert collector.statuses[-1].state == "stopped"
    await wait_until(lambda: hub.active == 0, what="the server to see the socket go")
    await client.aclose()


async def test_tls_with_a_ca_file(tmp_path, collector):
    ca_file = tls.ca_file(tmp_path)
    async with HubServer(ssl_context=tls.server_context()) as hub:
        client = client_for(hub.url, collector, ca_file=str(ca_file))
        async with running(client):
            await collector.wait(lambda c: c.connections >= 1, what="connected over TLS")
        assert hub.url.startswith("https://")
        # without the CA: a TLS error that says what to do, and no retry loop (it will not fix itself)
        other = Collector()
        client = client_for(hub.url, other)
        async with running(client) as task:
            await asyncio.wait_for(task, 5)
        last = other.statuses[-1]
        assert last.state == "stopped" and "--ca-file" in last.text and last.error.kind == "tls"
