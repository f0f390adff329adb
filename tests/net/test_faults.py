"""Every fault the hub and the network can throw, end to end: the simulator (or a scripted server) on 127.0.0.1 and
a HubClient feeding a Feed (cluster + journal). The client-level details (close reasons, backoff bounds, 409/503
against scripted servers) live in test_client*.py, what the app shows of these faults in tests/app/test_faults.py;
here the question is what a user ends up with: the model equals the server's truth, the journal says what
happened, and nothing is lost."""

from __future__ import annotations

import asyncio
import json

import pytest
from kit.client import (
    SMALL_BACKOFF,
    Collector,
    check_gap_text,
    connected,
    counters_add_up,
    expected_entries,
    export_entries,
    fast_settings,
    feeding,
    gaps,
    running,
    sequence,
)
from kit.hub import Conn, HubServer, standard_world
from kit.raw import free_port
from kit.sim import RecordedSimulator, assert_model_is, haunt, quiet_simulator, settings_for
from kit.threads import ServerThread
from kit.wait import wait_until
from kit.wire import HOST_A, frame

from tui.protocol.parse import Event
from tui.settings import SecretStr
from tui.sim import Simulator, start
from tui.sim.frames import encode_frame, now_rfc3339
from tui.transport.client import HubClient

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------------------------------------------ drops


DROPS = [
    (None, "the connection ended without a close frame (a server restart or a network drop)"),
    (1000, "closed by the server (1000)"),
    (1001, "server going away (1001)"),
    (1008, "closed by the server for a policy violation (1008)"),
    (1011, "server error (1011)"),
]


@pytest.mark.parametrize(("code", "reason"), DROPS, ids=[f"close-{c}" if c else "tcp-abort" for c, _ in DROPS])
async def test_a_drop_is_resynced_through_the_feed(code, reason):
    async with quiet_simulator() as sim:
        settings = settings_for(sim)  # the default backoff: full jitter, first retry within 1 s, cap 30 s
        assert (settings.backoff_base, settings.backoff_cap) == (1.0, 30.0)
        async with feeding(settings) as (client, feed, collector):
            await wait_until(lambda: connected(feed), what="connected")
            assert_model_is(feed.cluster, sim.world)
            first_id = client.client_id
            await sim.drop_all(code)
            await wait_until(lambda: connected(feed, 2), what="the reconnect")
            # the first retry came within 1 s (its announced delay), as attempt 1
            retry = [s for s in collector.statuses if s.state == "reconnecting"]
            assert len(retry) == 1 and retry[0].attempt == 1 and 0 <= retry[0].delay <= 1.0
            assert retry[0].reason == reason
            assert client.client_id != first_id and client.client_id in sim.clients
            # a fresh snapshot was taken for the new connection, and the model is the server's truth
            assert sim.rec.requests.count(("GET", "/api/v1/orchestrator/hosts", 200)) == 2
            assert_model_is(feed.cluster, sim.world)
            [gap] = gaps(feed)
            assert gap.reason == reason and check_gap_text(gap) == 0  # the same world: nothing changed
            # every frame the server sent (two confirmations) was received and counted once
            await wait_until(lambda: feed.journal.received == sum(sim.sent_counts.values()), what="all frames")
            assert counters_add_up(feed)["received"] == 2


async def test_the_server_gone_for_a_while_and_back_with_a_different_world():
    port = free_port()
    sim_a = RecordedSimulator(frozen=True, seed=1, hosts=4, vms=3)
    runner, _ = await start("127.0.0.1", port, simulator=sim_a)
    runner_b = None
    try:
        async with feeding(settings_for(sim_a, **SMALL_BACKOFF)) as (client, feed, collector):
            await wait_until(lambda: connected(feed), what="connected")
            assert_model_is(feed.cluster, sim_a.world)
            await runner.cleanup()  # the server goes away (closing its sockets without a close frame, as Go does)
            # gone for a while: the client keeps knocking, with backoff, on a closed port
            refused = lambda: [s for s in collector.statuses  # noqa: E731
                               if s.state == "reconnecting" and "connection refused" in s.reason]
            await wait_until(lambda: len(refused()) >= 4, what="retries against the closed port")
            retries = [s for s in collector.statuses if s.state == "reconnecting"]
            assert [s.attempt for s in retries] == list(range(1, len(retries) + 1))
            for s in retries:
                assert 0 <= s.delay <= min(0.2, 0.05 * 2 ** (s.attempt - 1))
            # back, on the same port, with a different world (and the same token)
            sim_b = RecordedSimulator(frozen=True, seed=2, hosts=5, vms=2, token=sim_a.token)
            runner_b, _ = await start("127.0.0.1", port, simulator=sim_b)
            await wait_until(lambda: connected(feed, 2), what="the reconnect to the new server")
            assert client.client_id in sim_b.clients
            assert_model_is(feed.cluster, sim_b.world)
            old_hosts = {h["id"] for h in sim_a.world.hosts_json()}
            assert not old_hosts & set(feed.cluster.hosts), "a host of the old world is still there"
            [gap] = gaps(feed)
            changes = check_gap_text(gap)
            # every new host and VM, and every host that went away
            assert changes == len(sim_b.world.hosts_json()) + len(sim_b.world.machines_json()) + len(old_hosts)
            assert gap.reason == "the connection ended without a close frame (a server restart or a network drop)"
            assert gap.started <= refused()[0].at <= gap.ended
            counters_add_up(feed)
    finally:
        await runner.cleanup()
        if runner_b is not None:
            await runner_b.cleanup()


# ------------------------------------------------------------------------------------------------ liveness


def pings(sim: Simulator, client_id: str) -> int:
    return sum(1 for cid, text in sim.rec.frames if cid == client_id and json.loads(text)["message"] == "ping")


async def test_stalled_pongs_are_detected_and_the_feed_reconnects():
    async with quiet_simulator() as sim:
        settings = settings_for(sim, ping_interval=0.2, pong_timeout=0.3, **SMALL_BACKOFF)
        async with feeding(settings) as (client, feed, collector):
            await wait_until(lambda: connected(feed), what="connected")
            first = client.client_id
            await wait_until(lambda: pings(sim, first) >= 1 and any(
                e.event_type == "health" and e.message == "pong" for e in collector.events), what="a pong")
            sim.stall_pongs = True  # the socket stays open, the pongs stop
            await wait_until(lambda: any(n.text.startswith("no pong") for n in feed.notes), what="the detection")
            sim.stall_pongs = False
            await wait_until(lambda: connected(feed, 2), what="the reconnect")
            # detected within one pong timeout: no further ping was sent on the stalled connection
            answered = sum(1 for e in collector.events if e.message == "pong" and e.client_id == first)
            assert pings(sim, first) == answered + 1
            assert [n.text for n in feed.notes] == ["no pong within 0.3 s; reconnecting"]
            [gap] = gaps(feed)
            assert gap.reason == "no pong within 0.3 s"
            # and the new connection lives on: its pings are answered
            second = client.client_id
            await wait_until(lambda: pings(sim, second) >= 2 and client.client_id == second, what="2 pings")
            assert len(sim.connections) == 2 and len(gaps(feed)) == 1


# ------------------------------------------------------------------------------------------------ answers at connect


async def test_409_after_a_reconnect_race_is_retried_with_backoff_and_explained():
    """The server has not noticed the old connection is gone and refuses the new one (one per IP): the client
    says why, backs off, never storms, and gets in once the server has caught up."""
    async with quiet_simulator(one_connection_per_ip=True) as sim, \
            feeding(settings_for(sim, **SMALL_BACKOFF)) as (client, feed, collector):
        await wait_until(lambda: connected(feed), what="connected")
        ghosts = haunt(sim)  # the server will not notice the drop until the ghosts go
        await sim.drop_all(None)
        conflicts = lambda: sim.rec.subscribe_statuses().count(409)  # noqa: E731
        await wait_until(lambda: conflicts() >= 2, what="409s")
        n0 = conflicts()
        await asyncio.sleep(1.0)
        in_one_second = conflicts() - n0
        # with backoff (mean delay ~0.1 s here) ~10 a second; without it, hundreds
        assert 1 <= in_one_second <= 40, in_one_second
        explained = [s for s in collector.statuses if s.state == "reconnecting" and s.error is not None]
        assert explained and all(s.error.kind == "conflict" for s in explained)
        for s in explained:
            assert "one connection per IP" in s.reason and "(409)" in s.reason
            assert 0 <= s.delay <= min(0.2, 0.05 * 2 ** (s.attempt - 1))
        attempts = [s.attempt for s in collector.statuses if s.state == "reconnecting"]
        assert attempts == list(range(1, len(attempts) + 1))  # backing off, never reset by a 409
        for ghost in ghosts:  # the server catches up
            del sim.clients[ghost.id]
        await wait_until(lambda: connected(feed, 2), what="connected once the server caught up")
        assert len(gaps(feed)) == 1
        assert sim.rec.subscribe_statuses().count(101) == 2


async def test_adding_channels_never_meets_a_409():
    """Adding a channel is a planned reconnect: the old socket is closed before the new one opens, so a
    one-connection-per-IP server never refuses it."""
    async with quiet_simulator(one_connection_per_ip=True) as sim, \
            feeding(settings_for(sim, **SMALL_BACKOFF)) as (client, feed, collector):
        await wait_until(lambda: connected(feed), what="connected")
        for channels in [("orchestrator", "health", "pdfm"), ("orchestrator", "health"),
                         ("orchestrator", "health", "stats"), ("orchestrator", "stats", "pdfm")]:
            await client.set_channels(channels)
            if "pdfm" in channels:
                await wait_until(lambda ch=channels: connected(feed) and set(ch) <= set(client.subscriptions),
                                 what=f"subscribed to {channels}")
        await wait_until(lambda: connected(feed) and "pdfm" in client.subscriptions, what="the last set")
        statuses = sim.rec.subscribe_statuses()
        assert 409 not in statuses and set(statuses) == {101}
        assert not [s for s in collector.statuses if s.error is not None]
        assert [asked for asked, _ in sim.connections][-1] == ["orchestrator", "stats", "pdfm"]


async def test_a_channel_toggled_while_the_reconnect_is_under_way_is_not_lost(hub: HubServer):
    """Two quick toggles: the second lands while the planned reconnect of the first is still in its handshake.
    The connection that results must catch up with the second (not keep the first's set)."""
    hub.handshake_delay = 0.3
    client = HubClient(fast_settings(hub.url), Collector())
    subscribes = lambda: [p for _, p, _ in hub.requests if p.endswith("/ws/subscribe")]  # noqa: E731
    async with running(client):
        await wait_until(lambda: client.state == "connected", what="connected")
        await client.set_channels(["orchestrator", "health", "pdfm"])
        await wait_until(lambda: len(subscribes()) == 2, what="the planned reconnect's handshake")
        await client.set_channels(["orchestrator", "pdfm", "stats"])  # the second toggle, mid-handshake
        await wait_until(lambda: client.state == "connected" and set(client.subscriptions) ==
                         {"orchestrator", "pdfm", "stats", "global"}, what="the second toggle applied")
    assert hub.attempts[-1].query["event_types"] == "orchestrator,pdfm,stats"
    assert hub.max_active == 1


async def test_stop_ends_the_run_even_when_the_server_does_not_answer_the_close():
    """A stuck server never answers the close frame: stop() gives up after its close timeout and drops the
    TCP connection, so the run ends (the app's quit and `hubtop status` do not hang on a dead hub)."""
    import threading

    server = ServerThread(HubServer())
    with server as hub:
        standard_world(hub)
        client = HubClient(fast_settings(hub.url), Collector())
        task = asyncio.create_task(client.run())
        release = threading.Event()
        try:
            await wait_until(lambda: client.state == "connected", what="connected")
            server.loop.call_soon_threadsafe(release.wait, 20)  # the server's loop is stuck from now on
            await client.stop()
            await asyncio.wait_for(task, 10)  # a hang guard: stop() gives up on the close after 2 s
            assert client.state == "stopped"
        finally:
            release.set()
            task.cancel()
            await client.aclose()


async def test_503_while_down_is_explained_and_retried():
    async with quiet_simulator() as sim, feeding(settings_for(sim, **SMALL_BACKOFF)) as (client, feed, collector):
        await wait_until(lambda: connected(feed), what="connected")
        sim.hub_running = False
        await sim.drop_all(1001)
        await wait_until(lambda: sim.rec.subscribe_statuses().count(503) >= 3, what="503s")
        unavailable = [s for s in collector.statuses if s.error is not None]
        assert unavailable and all(s.error.kind == "unavailable" for s in unavailable)
        assert all("Events Hub is not running" in s.reason and "(503)" in s.reason for s in unavailable)
        assert feed.status.state in ("reconnecting", "connecting")
        sim.hub_running = True
        await wait_until(lambda: connected(feed, 2), what="connected again")
        [gap] = gaps(feed)
        assert gap.reason == "server going away (1001)"
        assert_model_is(feed.cluster, sim.world)


@pytest.mark.parametrize("credentials", ["password", "api_key", "token only"])
async def test_401_on_a_live_connection(credentials):
    """The token expires: the server starts refusing it and drops the connection. With a user and password or
    an API key, hubtop logs in again and carries on; with only the token it stops, saying why."""
    # the key as settings hold it: base64 of KEY:SECRET, as the server wants it
    async with quiet_simulator(password="pw-live-401", api_key="key-live:401-secret") as sim:
        extra = {"password": {"user": sim.user, "password": SecretStr("pw-live-401")},
                 "api_key": {"api_key": SecretStr("a2V5LWxpdmU6NDAxLXNlY3JldA==")}, "token only": {}}[credentials]
        async with feeding(settings_for(sim, **SMALL_BACKOFF, **extra)) as (client, feed, collector):
            await wait_until(lambda: connected(feed), what="connected")
            old = sim.token
            sim.token = "tok-renewed-after-expiry"
            await sim.drop_all(1008)
            if credentials == "token only":
                await wait_until(lambda: feed.status.state == "auth_failed", what="the stop")
                st = feed.status
                assert st.text.startswith("authentication failed") and "401" in st.text and st.error.kind == "auth"
                await asyncio.sleep(0.3)
                assert sim.rec.subscribe_statuses() == [101, 401]  # a clear stop: no retry loop
                assert not [r for r in sim.rec.requests if r[1].endswith("/auth/token")]
                assert old not in st.text
                return
            await wait_until(lambda: connected(feed, 2), what="connected with a fresh token")
            assert client.auth.token.get_secret_value() == "tok-renewed-after-expiry"
            assert sim.rec.subscribe_statuses() == [101, 401, 101]
            assert [r for r in sim.rec.requests if r[1].endswith("/auth/token")] == [
                ("POST", "/api/v1/auth/token", 200)]
            assert len(gaps(feed)) == 1


# ------------------------------------------------------------------------------------------------ overload and nothing lost


async def test_a_burst_of_2048_frames_is_absorbed_and_marked_as_a_possible_loss():
    """All 2,048 frames arrive, in order, without a reconnect; and since a full flush is the only sign the real
    server gives that it dropped the oldest frames, hubtop marks a possible loss and resyncs."""
    async with quiet_simulator() as sim, feeding(settings_for(sim)) as (client, feed, collector):
        await wait_until(lambda: connected(feed), what="connected")
        hosts = [h["id"] for h in sim.world.hosts_json()]
        ids, last_cpu = [], {}
        stamp = now_rfc3339()
        for i in range(2048):  # all queued within one flush: one burst of 2,048
            host = hosts[i % len(hosts)]
            event_id = f"burst-{i:058d}"
            ids.append(event_id)
            last_cpu[host] = float(i % 97)
            sim.broadcast_raw(encode_frame(event_id, "orchestrator", "HOST_STATS_UPDATE",
                                           {"host_id": host, "stats": {"cpu_percent": i % 97}}, timestamp=stamp))
        [sim_client] = sim.clients.values()
        assert len(sim_client.queue) == 2048 and sim_client.dropped == 0
        await wait_until(lambda: sum(1 for e in feed.journal if isinstance(e, Event)
                                     and e.id.startswith("burst-")) == 2048, timeout=20, what="the burst")
        got = [e.id for e in feed.journal if isinstance(e, Event) and e.id.startswith("burst-")]
        assert got == ids  # every one, in order
        await wait_until(lambda: feed.resyncs == 1, what="the resync after the possible loss")
        kinds = [g.kind for g in gaps(feed)]
        assert kinds == ["loss", "resync"] and feed.snapshots == 2 and len(sim.connections) == 1
        assert [s.state for s in collector.statuses].count("connected") == 1
        assert {h: feed.cluster.hosts[h].stats["cpu_percent"] for h in hosts} == {
            h: int(v) for h, v in last_cpu.items()}
        c = counters_add_up(feed)
        assert c["received"] == 1 + 2048 == sim.sent_counts[client.client_id] and c["applied"] == c["received"]


async def test_the_resync_after_a_loss_waits_until_the_flood_drains(hub: HubServer):
    """While frames keep coming without a pause the server's queue is still overflowing: listings taken then
    would be stale at once (and reading them competes with the flood). The resync the full flush asked for is
    taken once the burst ends, and it settles the model."""
    standard_world(hub)
    flood_ended = ("MARK", "the flood ended", {})

    async def script(conn: Conn) -> None:
        await asyncio.sleep(0.3)  # live, and past the first pause: counting has begun
        loop = asyncio.get_running_loop()
        end = loop.time() + 1.5
        i = 0
        while loop.time() < end:  # ~1.5 s of frames, never 30 ms apart
            for _ in range(300):
                await conn.send(frame("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {
                    "cpu_percent": i % 90}}, id=f"flood-{i:058d}"))
                i += 1
            await asyncio.sleep(0.005)
        hub.requests.append(flood_ended)

    hub.script = script
    async with feeding(fast_settings(hub.url), collect=False) as (client, feed, _):
        await wait_until(lambda: feed.resyncs == 1, timeout=20, what="the resync after the flood")
        listings = [n for n, (method, path, _) in enumerate(hub.requests) if path.endswith("/orchestrator/machines")]
        assert len(listings) == 2  # the snapshot, then the one resync
        assert listings[0] < hub.requests.index(flood_ended) < listings[1]
        assert feed.journal.suspected_losses >= 1 and [g.kind for g in gaps(feed)][-1] == "resync"
        assert feed.cluster.hosts[HOST_A].stats["cpu_percent"] is not None


async def test_the_export_holds_every_frame_in_arrival_order(hub: HubServer, tmp_path):
    sent = sequence()

    async def script(conn: Conn) -> None:
        for item in sent:
            await conn.send(item)

    hub.script = script
    async with feeding(fast_settings(hub.url)) as (client, feed, collector):
        await wait_until(lambda: feed.journal.received == 1 + len(sent), what="every frame")
    n = feed.journal.export(tmp_path / "export.jsonl")
    records = [json.loads(line) for line in (tmp_path / "export.jsonl").read_text().split("\n")[:-1]]
    assert n == len(records) == 1 + len(sent)
    assert records[0]["frame"]["message"].startswith("WebSocket connection established")
    assert export_entries(records[1:]) == expected_entries(sent)
    # the frames themselves, as sent
    sent_events = [json.loads(x) for x in sent if isinstance(x, str) and x.startswith("{")]
    assert [r["frame"] for r in records[1:] if r["kind"] == "event"] == sent_events
    c = counters_add_up(feed)
    exp = expected_entries(sent)
    assert c["received"] == 1 + len(sent)
    assert c["malformed"] == sum(1 for k, _, _ in exp if k == "malformed")
    assert c["duplicates"] == sum(1 for _, _, d in exp if d) > 0
    assert [s for s in collector.statuses if s.state == "connected"] and len(hub.conns) == 1
    # the model saw each event once: the last word on each host is the last frame's
    assert feed.cluster.hosts[HOST_A].health == "healthy"
