"""The TUI driven as a user would (Pilot), against the simulator on 127.0.0.1 over real sockets."""

from __future__ import annotations

import json

import pytest
from kit.app import screen_text, settings_for, static_text, wait_for
from kit.client import connected
from kit.sim import simulator
from textual import events

from tui.app.app import HubtopApp
from tui.app.commands import HubtopCommands
from tui.app.screens.details import DetailsScreen
from tui.app.screens.event_detail import EventDetailScreen
from tui.app.screens.help import HelpScreen
from tui.app.widgets.host_details import HostDetails
from tui.model.entities import hostname_of
from tui.protocol.parse import Event
from tui.settings import SecretStr

pytestmark = pytest.mark.timeout(60)


def tree_rows(app: HubtopApp) -> list[tuple[str, str, str]]:
    return list(app.host_tree.rows)


async def test_tree_shows_every_host_and_vm_of_the_world() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the first snapshot")
            await pilot.pause(0.3)
            rows = tree_rows(app)
            hosts = {h["id"]: hostname_of(h["host"]) for h in sim.world.hosts_json()}
            shown_hosts = [h for k, h, _ in rows if k == "h"]
            for host_id in hosts:
                assert host_id in shown_hosts
            # every VM of the snapshot sits under its own host (expanded at start)
            for vm in sim.world.machines_json():
                assert ("v", vm["host_id"], vm["ID"]) in rows
            text = "\n".join(screen_text(app.host_tree))
            first = sorted(hosts.values())[0]
            assert first in text
            assert "✔ healthy" in text or "✖ unhealthy" in text


async def test_cursor_stays_on_its_row_when_events_arrive() -> None:
    async with simulator(rate=50) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            await pilot.press("down", "down", "down")
            key = app.host_tree.cursor_key
            assert key is not None and key[0] == "v"
            # a new VM on another host sorts in above or below: the cursor must not move off our row
            other = next(h["id"] for h in sim.world.hosts_json() if h["id"] != key[1])
            sim.emit("orchestrator", "HOST_VM_ADDED", {"host_id": other, "event": {
                "vm_id": "00000000-aaaa-bbbb-cccc-000000000001",
                "new_vm": {"ID": "00000000-aaaa-bbbb-cccc-000000000001", "Name": "aaa-first-vm", "State": "running",
                           "OS": "ubuntu"}}})
            await wait_for(pilot, lambda: ("v", other, "00000000-aaaa-bbbb-cccc-000000000001") in tree_rows(app),
                           what="the new VM in the tree")
            await pilot.pause(0.5)
            assert app.host_tree.cursor_key == key


async def test_vm_state_change_reaches_the_row() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            vm = sim.world.machines_json()[0]
            sim.emit("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": vm["host_id"], "event": {
                "vm_id": vm["ID"], "previous_state": vm["State"], "current_state": "resetting"}})
            await wait_for(pilot, lambda: app.host_tree.vms.get((vm["host_id"], vm["ID"])) is not None
                           and app.host_tree.vms[(vm["host_id"], vm["ID"])].state == "resetting",
                           what="the VM row to say resetting")
            index = app.host_tree.row_of(("v", vm["host_id"], vm["ID"]))
            app.host_tree.scroll_to_row(index)
            await pilot.pause(0.2)
            line = app.host_tree.render_line(index - app.host_tree.scroll_offset.y).text
            assert vm["Name"] in line and "↻ resetting" in line


async def test_log_follows_holds_and_resumes() -> None:
    async with simulator(rate=100) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            log = app.log_view
            await wait_for(pilot, lambda: log.row_count() > 50, what="events in the log")
            assert log.following
            await pilot.press("p")
            assert not log.following
            held_at = log.seq_at(log.cursor)
            await wait_for(pilot, lambda: log.new_count > 20, what="new events while held")
            assert log.seq_at(log.cursor) == held_at  # the view holds on the same event
            assert "HELD" in static_text(app.status_bar)
            assert f"+{log.new_count:,} new" in static_text(app.status_bar)
            # the feed went on: the journal is ahead of the view
            assert app.monitor.feed.journal.seq > held_at
            await pilot.press("p")
            assert log.following and log.new_count == 0
            await pilot.pause(0.3)
            assert log.cursor == log.row_count() - 1


async def test_scrolling_up_holds_and_end_resumes() -> None:
    async with simulator(rate=100) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            log = app.log_view
            await wait_for(pilot, lambda: log.row_count() > 50, what="events in the log")
            log.focus()
            await pilot.press("up", "up")
            assert not log.following
            row = log.cursor
            seq = log.seq_at(row)
            await wait_for(pilot, lambda: log.new_count > 10, what="new events while held")
            assert log.seq_at(log.cursor) == seq  # the view holds on the same event
            await pilot.press("end")
            assert log.following


async def test_enter_on_a_log_row_opens_its_json() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            log = app.log_view
            await wait_for(pilot, lambda: log.row_count() > 5, what="events in the log")
            log.focus()
            await pilot.press("p", "home", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen), what="the event dialog")
            record = app.screen.record
            assert record["kind"] == "event"
            assert record["frame"]["event_type"] == "global"  # the confirmation comes first
            assert "client_id" in json.dumps(record["frame"]["body"])
            await pilot.press("escape")
            assert not isinstance(app.screen, EventDetailScreen)


async def test_details_of_a_host_and_a_vm() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            await pilot.pause(0.3)
            key = app.host_tree.cursor_key
            host = next(h for h in sim.world.hosts_json() if h["id"] == key[1])
            body = app.details.text
            assert hostname_of(host["host"]) in body
            assert host["id"] in "".join(body.split())  # a 64-character id folds over two lines at this width
            assert host["devops_version"] in body
            await pilot.press("down")
            await pilot.pause(0.2)
            vm_key = app.host_tree.cursor_key
            assert vm_key[0] == "v"
            body = app.details.text
            assert vm_key[2] in body and "state" in body
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, DetailsScreen), what="the details dialog")
            await pilot.pause(0.2)
            dialog = app.screen.query_one(HostDetails).text
            assert vm_key[2] in dialog
            await pilot.press("escape")


async def test_filter_narrows_hosts_as_you_type_and_escape_clears() -> None:
    async with simulator(hosts=10, vms=3) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            all_hosts = {h for k, h, _ in tree_rows(app) if k == "h"}
            await pilot.press("slash", *"studio")
            await pilot.pause(0.2)
            shown = {h for k, h, _ in tree_rows(app) if k == "h"}
            expected = {h.id for h in app.monitor.feed.cluster.hosts.values() if "studio" in h.label.lower()
                        or "studio" in h.description.lower()
                        or any("studio" in vm.name.lower() for vm in h.vms.values())}
            assert shown == expected and shown < all_hosts
            assert "matching" in app.host_tree.border_title
            await pilot.press("enter")  # keeps the filter, back in the tree
            assert app.focused is app.host_tree
            assert {h for k, h, _ in tree_rows(app) if k == "h"} == expected
            await pilot.press("escape")
            await pilot.pause(0.2)
            assert {h for k, h, _ in tree_rows(app) if k == "h"} == all_hosts


async def test_keys_typed_right_after_slash_go_into_the_filter() -> None:
    """A fast typist's "/" and the letters after it can all be waiting before the app reads the "/": none of
    them may land anywhere but in the filter."""
    async with simulator(hosts=10, vms=3) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            # queued together, as the terminal's input thread would post them in one burst
            for key, char in (("slash", "/"), *((c, c) for c in "studio")):
                app.post_message(events.Key(key, char))
            await pilot.pause(0.3)
            assert app.filter_box.value == "studio"
            assert app.focused is app.filter_box
            await pilot.press("slash", "x")  # in the filter, "/" is text like any other
            assert app.filter_box.value == "studio/x"
            await pilot.press("ctrl+shift+a", "slash")  # and replaces a selection, as a typed key does
            assert app.filter_box.value == "/"
            await pilot.press("escape")  # cleared; then a "/" inside a burst lands in its place, in order
            for key, char in (("slash", "/"), ("a", "a"), ("slash", "/"), ("b", "b")):
                app.post_message(events.Key(key, char))
            await pilot.pause(0.3)
            assert app.filter_box.value == "a/b"
            await pilot.press("enter", "question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            await pilot.press("slash")  # a dialog is open: "/" is not the main screen's
            assert isinstance(app.screen, HelpScreen) and app.focused is not app.filter_box


async def test_filter_by_vm_name_keeps_its_host() -> None:
    async with simulator(hosts=8, vms=3) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            vm = sim.world.machines_json()[-1]
            await pilot.press("slash", *vm["Name"])
            await pilot.pause(0.2)
            rows = tree_rows(app)
            assert ("h", vm["host_id"], "") in rows
            assert ("v", vm["host_id"], vm["ID"]) in rows


async def test_turning_a_channel_off_unsubscribes_with_the_live_client_id() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="the connection")
            client_id = app.monitor.feed.status.client_id
            assert client_id in sim.clients
            app.channels.focus()
            await pilot.press("down", "down", "space")  # global, orchestrator, [health]
            await wait_for(pilot, lambda: sim.unsubscribe_calls, what="the unsubscribe POST")
            assert sim.unsubscribe_calls[-1] == (client_id, ["health"])
            await wait_for(pilot, lambda: "health" not in app.monitor.feed.status.subscriptions, what="confirmed off")

            def health_row():
                return next(r for r in app.channels.channel_rows if r.name == "health")

            # the pane shows it on the next tick after the feed knows
            await wait_for(pilot, lambda: not health_row().confirmed, what="the row shown off")
            assert not health_row().wanted
            assert app.monitor.feed.status.client_id == client_id  # same connection: no reconnect


async def test_turning_a_channel_on_reconnects_with_the_new_set() -> None:
    async with simulator(one_connection_per_ip=True) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="the connection")
            first_client = app.monitor.feed.status.client_id
            app.toggle_channel("pdfm")
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.monitor.feed.status.client_id != first_client,
                           what="the reconnect")
            asked, confirmed = sim.connections[-1]
            assert "pdfm" in asked and "pdfm" in confirmed
            assert "pdfm" in app.monitor.feed.status.subscriptions
            # the old socket was closed first: the one-connection-per-IP server never said 409
            assert len(sim.connections) == 2
            assert app.monitor.feed.status.state == "connected"


async def test_palette_offers_every_channel_toggle() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            provider = HubtopCommands(app.screen)
            names = [hit.display for hit in [h async for h in provider.discover()]]
            for channel in ("orchestrator", "health", "pdfm", "system", "stats", "system_logs", "reverse_proxy",
                            "catalog_cache", "job_manager", "auth"):
                assert f"Toggle channel: {channel} (now on)" in names or f"Toggle channel: {channel} (now off)" in names
            assert not any(name.startswith("Toggle channel: global") for name in names)
            await pilot.press("q")


async def test_narrow_the_log_to_a_host_and_back() -> None:
    async with simulator(hosts=4, vms=2) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            log = app.log_view
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.monitor.feed.journal.received > 20, what="events")
            host_id = app.host_tree.cursor_key[1]
            await pilot.press("n")
            await wait_for(pilot, lambda: log.row_count() > 2, what="the host's events")
            for i in range(log.row_count()):
                entry = log.entry_at(i)
                if isinstance(entry, Event):
                    assert entry.host_id == host_id
            assert "only" in log.border_title
            await pilot.press("n")
            assert log.narrow is None
            with app.monitor.read() as live:  # the feed goes on meanwhile: compare as the log syncs to it
                log.sync(live.journal, live.cluster)
                assert log.row_count() == len(live.journal)


async def test_help_screen_and_quit_exit_code() -> None:
    async with simulator() as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("q")
        assert app.return_code == 0


async def test_wrong_token_shows_auth_failed_and_keeps_running() -> None:
    async with simulator() as sim:
        settings = settings_for(sim, token=SecretStr("not-the-token"))
        app = HubtopApp(settings)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.monitor.feed.status and app.monitor.feed.status.state == "auth_failed",
                           what="the auth failure")
            await pilot.pause(0.3)
            bar = static_text(app.status_bar)
            assert "authentication failed" in bar
            assert "not-the-token" not in bar
            assert app.is_running
            await pilot.press("q")
        assert app.return_code == 0


async def test_closed_port_shows_reconnecting_in_words() -> None:
    async with simulator() as sim:
        url = sim.url
    # the simulator is gone: its port is closed now
    from tui.settings import Settings

    app = HubtopApp(Settings(url=url, token=SecretStr("x"), timeout=2.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.monitor.feed.status and app.monitor.feed.status.state == "reconnecting",
                       what="reconnecting")
        await pilot.pause(0.2)
        bar = static_text(app.status_bar)
        assert "reconnecting in" in bar and "(attempt" in bar
        assert "connection refused" in bar
        await pilot.press("q")
    assert app.return_code == 0


async def test_clearing_the_filter_shows_what_came_meanwhile() -> None:
    async with simulator(hosts=6, vms=3) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the tree")
            all_rows = set(tree_rows(app))
            await pilot.press("slash", *"zzz-no-such-host")
            await wait_for(pilot, lambda: tree_rows(app) == [], what="nothing matching")
            host = sim.world.hosts_json()[0]["id"]
            sim.emit("orchestrator", "HOST_VM_ADDED", {"host_id": host, "event": {
                "vm_id": "00000000-aaaa-bbbb-cccc-000000000002",
                "new_vm": {"ID": "00000000-aaaa-bbbb-cccc-000000000002", "Name": "came-while-filtered",
                           "State": "running", "OS": "ubuntu"}}})
            await wait_for(pilot, lambda: app.monitor.feed.cluster.vm(host, "00000000-aaaa-bbbb-cccc-000000000002"),
                           what="the new VM in the model")
            await pilot.press("escape")
            new_row = ("v", host, "00000000-aaaa-bbbb-cccc-000000000002")
            await wait_for(pilot, lambda: new_row in tree_rows(app), what="the new VM after clearing the filter")
            # every host of the model is back (the live world may have added or removed one meanwhile)
            with app.monitor.read():
                hosts = set(app.monitor.feed.cluster.hosts)
            await wait_for(pilot, lambda: {h for k, h, _ in tree_rows(app) if k == "h"} == hosts, what="all hosts")
            assert all_rows
