"""What an SRE reaches for besides looking (issue 15), as a user sees it: copying an id or a name (OSC 52), the
notifications (toast and OSC 9/777, none for the first snapshot, off in the profile), moving between hosts,
``r`` reconnect now, the view remembered between runs, and the keys that open the views. Against a scripted hub
serving a small fleet (:mod:`kit.find`), or the simulator on a port for the reconnect."""

from __future__ import annotations

import base64
import json
import re

import pytest
from kit.app import screen_text, settings_for, static_text, wait_for
from kit.client import connected
from kit.find import (
    H1,
    H2,
    H10,
    STUDIO,
    choose,
    fleet_app,
    footer_keys,
    health,
    host_order,
    run_command,
    send,
    stock,
    title,
    toasts,
    tree_lines,
    vm_state,
)
from kit.hub import HubServer
from kit.raw import free_port
from kit.wire import vm_record

from tui.app.app import HubtopApp
from tui.app.screens.hostlogs import HostLogsScreen
from tui.app.screens.jobs import JobsScreen
from tui.app.screens.vm_table import VmTableScreen
from tui.protocol.text import clean
from tui.sim import Simulator, start
from tui.state import state_path

pytestmark = pytest.mark.timeout(60)

OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def copied(app) -> list[str]:
    """What the OSC 52 sequences the app wrote put on the clipboard, oldest first."""
    return [base64.b64decode(m.group(1)).decode() for s in app.sent if (m := OSC52.fullmatch(s))]


@pytest.fixture
def plain_terminal(monkeypatch):
    """Not inside tmux nor a VTE terminal: the sequences go out as they are, OSC 9 for a notification."""
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("VTE_VERSION", raising=False)


# ------------------------------------------------------------------ copy


async def test_y_copies_the_selected_id_and_Y_its_name(plain_terminal) -> None:
    async with fleet_app() as (_hub, app, pilot):
        await pilot.press("y")  # host-1's row
        await wait_for(pilot, lambda: copied(app) == [H1], what="the host's id copied")
        await pilot.press("down")  # its first VM, web-1
        assert app.host_tree.cursor_key == ("v", H1, "vm-web-1")
        await pilot.press("y")
        await wait_for(pilot, lambda: copied(app)[-1:] == ["vm-web-1"], what="the VM's id")
        await pilot.press("Y")
        await wait_for(pilot, lambda: copied(app)[-1:] == ["web-1"], what="the VM's name")
        assert copied(app) == [H1, "vm-web-1", "web-1"]
        # the toast says what was copied (headless, there is no terminal that could take it)
        said = toasts(app)
        assert f"no terminal to copy to; the host's id: {H1}" in said
        assert "no terminal to copy to; the VM's id: vm-web-1" in said
        assert "no terminal to copy to; the VM's name: web-1" in said
        await pilot.press("up", "Y")
        await wait_for(pilot, lambda: copied(app)[-1:] == ["host-1"], what="the host's name")


async def test_a_hostile_name_is_copied_as_its_safe_stand_in(plain_terminal) -> None:
    evil = "pwn\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eed\x9b1m"
    async with HubServer() as hub:
        stock(hub)
        hub.machines.append(vm_record("vm-evil", H2, evil))
        async with fleet_app(hub=hub) as (_hub, app, pilot):
            await pilot.press("right_square_bracket", "down", "down")  # host-2, build-2, then the evil one
            assert app.host_tree.cursor_key == ("v", H2, "vm-evil")
            await pilot.press("Y")
            await wait_for(pilot, lambda: copied(app), what="the name copied")
            [name] = copied(app)
            assert name == clean(evil) and name.isprintable()
            assert name != evil and "pwn" in name and "ed" in name
            assert any(name in line for line in tree_lines(app))  # the same stand-in the row shows
            assert any(t.endswith(f"the VM's name: {name}") for t in toasts(app))


# ------------------------------------------------------------------ notifications


async def test_a_host_turning_unhealthy_is_a_toast_and_an_osc9_but_the_snapshot_is_not(plain_terminal) -> None:
    async with fleet_app(desktop_notify=True) as (hub, app, pilot):
        # host-2 was unhealthy in the first listing: that is how things stand, not news
        await send(hub, *health(H1, "unhealthy"))
        await wait_for(pilot, lambda: any("host unhealthy" in t for t in toasts(app)), what="the toast")
        alerts = [t for t in toasts(app) if "host unhealthy" in t]
        assert len(alerts) == 1 and "host-1 turned unhealthy" in alerts[0]
        assert [s for s in app.sent if s.startswith("\x1b]")] == ["\x1b]9;host unhealthy: host-1 turned unhealthy\x07"]
        assert not any("host-2" in t for t in toasts(app))
        # the same again is not news; a second host is
        await send(hub, *health(H1, "unhealthy"))
        await send(hub, *health(H10, "unhealthy"))
        await wait_for(pilot, lambda: len(app.sent) == 2, what="the second alert")
        assert app.sent[1] == "\x1b]9;host unhealthy: host-10 turned unhealthy\x07"


async def test_an_alert_turned_off_in_the_profile_is_neither_toast_nor_sequence(monkeypatch) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.setenv("VTE_VERSION", "7600")  # a VTE terminal: OSC 777
    notify = {"unhealthy": False, "link_lost_after": 0}
    async with fleet_app(settings={"notify": notify}) as (hub, app, pilot):
        await send(hub, *health(H1, "unhealthy"))
        await send(hub, "orchestrator", "HOST_WEBSOCKET_DISCONNECTED", {"host_id": H10,
                                                                        "state": "websocket_disconnected"})
        # the link alert (still on) comes at a check after the health change was applied: the proof the
        # unhealthy one had its chance
        await wait_for(pilot, lambda: any("link lost" in t for t in toasts(app)), what="the link alert")
        await wait_for(pilot, lambda: "✖ 2 unhealthy" in static_text(app.status_bar, 200), what="host-1 unhealthy")
        assert not any("unhealthy" in t for t in toasts(app))
        assert len(app.sent) == 1 and app.sent[0].startswith("\x1b]777;notify;link lost;host-10: link ")


# ------------------------------------------------------------------ movement


async def test_brackets_dash_plus_g_and_G_move_through_the_tree() -> None:
    async with fleet_app() as (_hub, app, pilot):
        tree = app.host_tree
        assert tree.cursor_key == ("h", H1, "")
        await pilot.press("right_square_bracket")
        assert tree.cursor_key == ("h", H2, "")
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert tree.cursor_key == ("h", STUDIO, "")
        await pilot.press("right_square_bracket")  # the last host: stays
        assert tree.cursor_key == ("h", STUDIO, "")
        await pilot.press("left_square_bracket")
        assert tree.cursor_key == ("h", H10, "")
        await pilot.press("down", "down")  # inside host-10's VMs: [ goes to its own host first
        assert tree.cursor_key[:2] == ("v", H10)
        await pilot.press("left_square_bracket")
        assert tree.cursor_key == ("h", H10, "")
        await pilot.press("G")
        assert tree.cursor == len(tree.rows) - 1 and tree.cursor_key == ("v", STUDIO, "vm-win11")
        await pilot.press("g")
        assert tree.cursor == 0 and tree.cursor_key == ("h", H1, "")
        await pilot.press("right_square_bracket", "minus")  # collapse all: the host rows only
        await wait_for(pilot, lambda: len(tree.rows) == 4, what="every host collapsed")
        assert host_order(app) == ["host-1", "host-2", "host-10", "mac-studio"]
        assert [line.split()[0] for line in tree_lines(app)] == ["▸"] * 4
        assert tree.cursor_key == ("h", H2, "")  # the cursor stays on its host
        await pilot.press("right_square_bracket")
        assert tree.cursor_key == ("h", H10, "")
        await pilot.press("plus")
        await wait_for(pilot, lambda: len(tree.rows) == 13, what="every host expanded")
        assert tree.cursor_key == ("h", H10, "")


# ------------------------------------------------------------------ r: reconnect now


async def test_r_is_offered_while_reconnecting_and_connects_at_once() -> None:
    port = free_port()
    first = Simulator(frozen=True, seed=7, hosts=6, vms=4)
    runner, _ = await start("127.0.0.1", port, simulator=first)
    runner_b = None
    app = HubtopApp(settings_for(first, backoff_base=30, backoff_cap=30))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            # offered while connecting, gone once the screen shows the connection
            await wait_for(pilot, lambda: "r" not in footer_keys(app), what="no r in the footer while connected")
            await runner.cleanup()  # the server is gone
            left = re.compile(r"reconnecting in (\d+) s")

            def waiting() -> int:
                found = left.search(static_text(app.status_bar, 200))
                return int(found.group(1)) if found else -1

            await wait_for(pilot, lambda: waiting() >= 0, what="reconnecting")
            assert footer_keys(app).get("r") == "Reconnect now"
            # the backoff draws its wait at random (full jitter up to 30 s): r (while the server is still
            # down) until it has drawn a long one, so that what follows could not be the backoff's doing
            for _ in range(40):
                if waiting() >= 20:
                    break
                attempt = app.monitor.feed.status.attempt
                await pilot.press("r")
                await wait_for(pilot, lambda a=attempt: app.monitor.feed.status.attempt > a and waiting() >= 0,
                               what="another attempt")
            assert waiting() >= 20
            second = Simulator(frozen=True, seed=7, hosts=6, vms=4, token=first.token)
            runner_b, _ = await start("127.0.0.1", port, simulator=second)
            await pilot.press("r")
            await wait_for(pilot, lambda: connected(app.monitor.feed, 2), timeout=10, what="connected again")
            await wait_for(pilot, lambda: "r" not in footer_keys(app), what="r gone from the footer")
            assert "connected" in static_text(app.status_bar, 200) and second.clients
    finally:
        await runner.cleanup()
        if runner_b is not None:
            await runner_b.cleanup()


# ------------------------------------------------------------------ remembered between runs


async def test_the_view_is_remembered_between_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = state_path(None)
    assert path.is_relative_to(tmp_path)

    def saved() -> dict:
        """The state file as it is now (each change is written as it is made, not only at the end)."""
        return json.loads(path.read_text()) if path.exists() else {}

    async with HubServer() as hub:
        stock(hub)
        async with fleet_app(hub=hub, remember=True) as (_hub, app, pilot):
            assert app.details.display and title(app.host_tree) == "Hosts (4)" and app.theme != "nord"
            await pilot.press("s")  # problems first
            await wait_for(pilot, lambda: host_order(app)[0] == "host-2", what="problems first")
            await send(hub, *vm_state("vm-db-1", "starting"))
            await wait_for(pilot, lambda: app.log_view.row_count() == 2, what="the event in the log")
            await pilot.press("tab", "G", "m")  # mute its type
            await wait_for(pilot, lambda: "1 type muted" in title(app.log_view), what="muted")
            await run_command(pilot, "Show / hide the details pane", "details pane")
            await wait_for(pilot, lambda: not app.details.display, what="the details pane hidden")
            app.host_tree.focus()
            await pilot.press("g", "left")  # collapse host-2, the first row
            await wait_for(pilot, lambda: ("v", H2, "vm-build-2") not in app.host_tree.rows, what="collapsed")
            await wait_for(pilot, lambda: saved().get("collapsed") == [H2], what="the collapse saved")
            await pilot.press("ctrl+p")
            await choose(pilot, "Theme", "theme")  # Textual's own: "Change the current theme"
            await choose(pilot, "nord")
            await wait_for(pilot, lambda: app.theme == "nord" and saved().get("theme") == "nord", what="the theme")
            await pilot.press("q")
        async with fleet_app(hub=hub, remember=True) as (_hub, app, pilot):
            # starting with the remembered state wrote nothing less over it
            assert saved()["sort"] == "problems" and saved()["collapsed"] == [H2] and saved()["muted"]
            assert app.theme == "nord"
            await wait_for(pilot, lambda: title(app.host_tree) == "Hosts (4) by problems first", what="the order")
            assert host_order(app) == ["host-2", "mac-studio", "host-1", "host-10"]
            assert ("v", H2, "vm-build-2") not in app.host_tree.rows and tree_lines(app)[0].startswith("▸ host-2")
            assert ("v", H1, "vm-db-1") in app.host_tree.rows  # only that host
            assert not app.details.display
            assert title(app.log_view) == "Events (local time) — 1 type muted"
            await send(hub, *vm_state("vm-db-1", "starting"))
            await send(hub, *health(H1, "unhealthy"))
            await wait_for(pilot, lambda: app.log_view.row_count() == 2, what="the health event")
            assert not any("VM_STATE" in line for line in screen_text(app.log_view))
            assert "Unmute: HOST_VM_STATE_CHANGED" in await run_command(pilot, "Unmute: HOST_VM_STATE_CHANGED", "unmute")


async def test_a_corrupt_state_file_costs_a_warning_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = state_path(None)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"format": 1, "sort": "problems", "muted": [\x00\xff not json')
    async with fleet_app(remember=True) as (_hub, app, pilot):
        await wait_for(pilot, lambda: any("remembered view could not be read" in t for t in toasts(app)),
                       what="the warning")
        assert host_order(app) == ["host-1", "host-2", "host-10", "mac-studio"]  # the defaults
        assert title(app.host_tree) == "Hosts (4)" and app.details.display
        await pilot.press("s")  # and it is written afresh
        await wait_for(pilot, lambda: b'"problems"' in path.read_bytes() and b"not json" not in path.read_bytes(),
                       what="the state saved")


# ------------------------------------------------------------------ the views


async def test_v_J_and_L_open_their_views_and_escape_returns() -> None:
    async with fleet_app(size=(120, 40)) as (_hub, app, pilot):
        for key, view in (("v", VmTableScreen), ("J", JobsScreen), ("L", HostLogsScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda view=view: isinstance(app.screen, view), what=f"{key} opens its view")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="back to the tree")
            assert app.focused is app.host_tree
