"""HubClient against scripted servers on 127.0.0.1: auth, confirmation, snapshot, heartbeat, frame sizes, channel
changes, stop and TLS. (Drops, reconnects and the answers at connect are in test_client_reconnect.py.)"""

from __future__ import annotations

import asyncio
import json
import time

from kit import tls
from kit.client import Collector, client_for, fast_settings, no_secret, running
from kit.hub import API_KEY, TOKEN, Conn, HubServer
from kit.wait import wait_until
from kit.wire import HOST_A, MiB, frame, sized_frame

from tui.protocol.models import Confirmation, HostStateBody
from tui.protocol.parse import body_model
from tui.settings import SecretStr
from tui.transport.client import HubClient

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
