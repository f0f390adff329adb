"""The app under the faults of the hub and the network, as a user sees them: the gap row and the new world after a
server came back different, the server's pings answered while the UI is busy, a 409 and an overload explained in
the status bar, and an export that holds every frame the simulator sent. (The same faults through a bare feed are
in ``tests/net/test_faults.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from kit.app import settings_for, static_text, wait_for
from kit.client import (
    GAP_TEXT,
    SMALL_BACKOFF,
    FakeClock,
    connected,
    counters_add_up,
    drive,
    expected_entries,
    journal_entries,
    sequence,
)
from kit.hub import TOKEN
from kit.raw import RawHub, free_port
from kit.sim import RecordedSimulator, haunt, quiet_simulator
from kit.threads import ServerThread
from kit.wire import HOST_A, host_record
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from tui.app.app import HubtopApp
from tui.live.feed import Feed
from tui.live.replay import ReplaySource
from tui.settings import SecretStr, Settings
from tui.sim import start

pytestmark = pytest.mark.timeout(60)


async def test_the_app_shows_the_gap_row_and_the_new_world():
    port = free_port()
    sim_a = RecordedSimulator(frozen=True, seed=3, hosts=3, vms=2)
    runner, _ = await start("127.0.0.1", port, simulator=sim_a)
    runner_b = None
    app = HubtopApp(settings_for(sim_a, **SMALL_BACKOFF))
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the first snapshot")
            await runner.cleanup()
            await wait_for(pilot, lambda: app.monitor.feed.status.state == "reconnecting" and app.monitor.feed.status.attempt >= 3,
                           what="retries")
            sim_b = RecordedSimulator(frozen=True, seed=4, hosts=4, vms=2, token=sim_a.token)
            runner_b, _ = await start("127.0.0.1", port, simulator=sim_b)
            await wait_for(pilot, lambda: connected(app.monitor.feed, 2), what="the reconnect")
            # the tree becomes the new world, nothing stale (its rebuilds are throttled: wait for it)
            expected = {("h", h["id"], "") for h in sim_b.world.hosts_json()} | {
                ("v", v["host_id"], v["ID"]) for v in sim_b.world.machines_json()}
            tree_rows = lambda: set(app.host_tree.rows)  # noqa: E731
            await wait_for(pilot, lambda: tree_rows() == expected, what="the tree to show the new world")
            # the event log shows the gap row
            lines = [app.log_view.render_line(y).text.rstrip() for y in range(app.log_view.size.height)]
            gap_lines = [line.split("⟂ ", 1)[1] for line in lines if "⟂ " in line]
            assert len(gap_lines) == 1, lines
            match = GAP_TEXT.match(gap_lines[0])
            assert match and int(match.group(7)) > 0
            assert "connected" in static_text(app.status_bar)
            await pilot.press("q")
    finally:
        await runner.cleanup()
        if runner_b is not None:
            await runner_b.cleanup()


async def test_protocol_pings_are_answered_while_the_ui_is_busy():
    """The server's own WebSocket pings (keepalive) are answered by the feed thread even while the app's UI
    loop is blocked: a server with a short ping timeout keeps the connection."""
    count = {"pings": 0, "pongs": 0}

    def answered(future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            count["pongs"] += 1

    async def script(ws: ServerConnection) -> None:
        # the server pings every 0.1 s, counting the pongs (its keepalive, with the same interval, drops the
        # connection if one takes over 0.3 s)
        with contextlib.suppress(ConnectionClosed):
            while True:
                waiter = await ws.ping()
                count["pings"] += 1
                waiter.add_done_callback(answered)
                await asyncio.sleep(0.1)

    with ServerThread(RawHub(script, ping_interval=0.1, ping_timeout=0.3)) as raw:
        raw.hosts = [host_record(HOST_A, "busy.local")]
        app = HubtopApp(Settings(url=raw.url, token=SecretStr(TOKEN), timeout=5.0))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and count["pongs"] >= 2, what="connected, pings answered")
            before = count["pongs"]
            end = time.monotonic() + 1.2  # the UI loop is busy (pure Python, holding the GIL between switches)
            while time.monotonic() < end:
                sum(range(2_000))
            answered_while_busy = count["pongs"] - before
            await pilot.pause(0.2)
            assert answered_while_busy >= 3, count
            assert len(raw.connections) == 1 and raw.connections[0].state is State.OPEN
            assert app.monitor.feed.status.state == "connected" and app.monitor.feed.snapshots == 1
            await pilot.press("q")


async def test_409_is_explained_in_the_status_bar():
    async with quiet_simulator(one_connection_per_ip=True) as sim:
        app = HubtopApp(settings_for(sim, backoff_base=0.2, backoff_cap=0.8))
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            ghosts = haunt(sim)
            await sim.drop_all(None)

            def bar() -> str:
                app.refresh_from_model()
                return static_text(app.status_bar, width=400)

            said: list[str] = []

            def explained() -> bool:
                text = bar()  # one look: the state moves on between two
                if "one connection per IP" in text:
                    said.append(text)
                return bool(said)

            await wait_for(pilot, explained, what="the 409 said")
            assert "reconnecting in" in said[0] and "(409)" in said[0]
            for ghost in ghosts:
                del sim.clients[ghost.id]
            await wait_for(pilot, lambda: connected(app.monitor.feed, 2), what="connected again")
            await pilot.press("q")


async def test_the_status_bar_warns_of_overload_and_suggests_muting_channels():
    clock = FakeClock()
    app = HubtopApp(Settings(url="http://127.0.0.1:9", token=SecretStr("t")), start_feed=False)
    app.monitor.feed.clock = clock
    async with app.run_test(size=(220, 30)) as pilot:
        app.refresh_from_model()
        assert "dropping events" not in static_text(app.status_bar, width=400)
        with app.monitor.read():
            drive(app.monitor.feed, clock, 16_384, 5)
        app.refresh_from_model()
        await pilot.pause()
        text = static_text(app.status_bar, width=400)
        assert "may be dropping events" in text and "mute noisy channels" in text
        with app.monitor.read():
            drive(app.monitor.feed, clock, 10, 5)
        app.refresh_from_model()
        assert "dropping events" not in static_text(app.status_bar, width=400)
        await pilot.press("q")


async def test_the_apps_export_matches_what_the_simulator_sent(tmp_path):
    sent = sequence()
    async with quiet_simulator() as sim:
        app = HubtopApp(settings_for(sim), export_dir=tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            client_id = app.monitor.feed.status.client_id
            for item in sent:
                sim.broadcast_raw(item)
            await wait_for(pilot, lambda: app.monitor.feed.journal.received == 1 + len(sent), what="every frame")
            await wait_for(pilot, lambda: sim.sent_counts[client_id] == 1 + len(sent), what="the count")
            await pilot.press("e")
            await wait_for(pilot, lambda: app.last_export is not None, what="the export")
            # the export is a recording: replayed, its journal holds every frame the simulator sent, in order,
            # the duplicates and the malformed ones as such
            feed = Feed()
            await ReplaySource(app.last_export, feed, speed=None).run()
            replayed = journal_entries(feed.journal.entries)
            assert len(replayed) == sim.sent_counts[client_id] == app.monitor.feed.journal.received
            assert replayed[1:] == expected_entries(sent)
            counters_add_up(app.monitor.feed)
            await pilot.press("q")
