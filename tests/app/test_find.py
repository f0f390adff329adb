"""Finding what matters (issue 15), as a user sees it: totals in the status bar, the sort orders, the filter
grammar in ``/`` and problems only, the event log's search and its mute list. The app talks to a scripted hub on
127.0.0.1 serving a small fleet made to tell every order and filter apart (:mod:`kit.find`)."""

from __future__ import annotations

import pytest
from kit.app import screen_text, static_text, wait_for
from kit.find import (
    H1,
    H2,
    H10,
    NAMES,
    STUDIO,
    VMS,
    bar,
    fleet_app,
    health,
    host_order,
    run_command,
    send,
    stats,
    title,
    toasts,
    tree_lines,
    vm_order,
    vm_state,
)
from textual import events
from textual.command import CommandList

pytestmark = pytest.mark.timeout(60)

NAME_ORDER = ["host-1", "host-2", "host-10", "mac-studio"]  # natural: host-2 before host-10


def shown(app) -> dict[str, list[str]]:
    """What the tree shows: each host's name -> its VM rows' names, in screen order."""
    out: dict[str, list[str]] = {}
    for kind, hid, vid in app.host_tree.rows:
        out.setdefault(NAMES[hid], []).extend([VMS[vid][1]] if kind == "v" else [])
    return out


def note(app) -> str:
    return static_text(app.filter_note).strip()


async def open_line(pilot) -> None:
    """Into the ``/`` line (``/`` unless there already), with what it holds selected: typing replaces it."""
    app = pilot.app
    if app.focused is not app.filter_box:
        await pilot.press("slash")
    if app.filter_box.value:
        await pilot.press("ctrl+shift+a")


async def paste_filter(pilot, text: str) -> None:
    """``text`` pasted into the ``/`` line over what it held (at once, as a terminal delivers a paste)."""
    app = pilot.app
    await open_line(pilot)
    app.filter_box.post_message(events.Paste(text))
    await wait_for(pilot, lambda: app.filter_box.value == text.splitlines()[0], what="the paste in the line")
    await keep(pilot)


async def type_filter(pilot, text: str) -> None:
    """``text`` typed into the ``/`` line, a key at a time, over what it held."""
    await open_line(pilot)
    await pilot.press(*text)
    await wait_for(pilot, lambda: pilot.app.filter_box.value == text, what=f"{text!r} typed")
    await keep(pilot)


async def keep(pilot) -> None:
    """Enter: the text is applied now (not after the typing settles), and the focus goes back."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: pilot.app.focused is not pilot.app.filter_box, what="out of the line")


# ------------------------------------------------------------------ totals


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_the_status_bar_totals_hosts_by_health_and_vms_by_state_and_follows_changes(size) -> None:
    async with fleet_app(size) as (hub, app, pilot):
        await wait_for(pilot, lambda: "4 hosts" in bar(app), what="the totals")
        text = bar(app)
        assert "✖ 1 unhealthy" in text and "9 VMs" in text
        if size[0] < 120:  # the states by symbol only, so the totals fit two rows of 80 columns
            assert all(part in text for part in ("▶ 4", "■ 3", "◌ 1", "↗ 1")), text
            assert "running" not in text
        else:
            assert all(part in text for part in ("▶ 4 running", "■ 3 stopped", "◌ 1 suspended", "↗ 1 starting"))
        assert all(len(line) <= size[0] for line in text.splitlines())
        assert app.status_bar.region.y == 0 and app.status_bar.region.height == len(text.splitlines())
        await send(hub, *health(H1, "unhealthy"))
        await send(hub, *vm_state("vm-web-1", "stopped"))
        await wait_for(pilot, lambda: "✖ 2 unhealthy" in bar(app), what="host-1 counted unhealthy")
        after = "▶ 3 running" if size[0] >= 120 else "▶ 3"
        await wait_for(pilot, lambda: after in bar(app) and "■ 4" in bar(app), what="the VM counted stopped")
        assert "▶ 4" not in bar(app) and "■ 3" not in bar(app)


# ------------------------------------------------------------------ sort


async def test_s_cycles_the_orders_the_title_says_which_and_the_rows_follow() -> None:
    async with fleet_app() as (hub, app, pilot):
        # heard from host-10, then host-2 (a listing is not hearing from a host): the others never
        await send(hub, *stats(H10))
        await wait_for(pilot, lambda: any("host-10" in line for line in screen_text(app.log_view)), what="host-10 heard")
        await send(hub, *stats(H2))
        await wait_for(pilot, lambda: any("host-2 " in line for line in screen_text(app.log_view)), what="host-2 heard")
        tree = app.host_tree
        assert host_order(app) == NAME_ORDER and title(tree) == "Hosts (4)"
        # VMs inside a host: by state (running, transitional, suspended, stopped), then name
        assert vm_order(app, H10) == ["apex", "zeta", "mid", "alpha"]
        expected = [
            ("problems first", ["host-2", "mac-studio", "host-1", "host-10"]),  # unhealthy, a VM starting, the rest
            ("VM count", ["host-10", "host-1", "mac-studio", "host-2"]),
            ("last heard", ["host-1", "mac-studio", "host-10", "host-2"]),  # never heard, then longest silent
        ]
        for label, order in expected:
            await pilot.press("s")
            await wait_for(pilot, lambda label=label: title(tree) == f"Hosts (4) by {label}",
                           what=f"the title to say {label}")
            assert host_order(app) == order, label
            assert f"hosts sorted by {label}" in toasts(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: title(tree) == "Hosts (4)", what="back to the name order")
        assert host_order(app) == NAME_ORDER


async def test_problems_first_follows_the_feed_and_puts_troubled_vms_first() -> None:
    async with fleet_app() as (hub, app, pilot):
        await pilot.press("s")
        await wait_for(pilot, lambda: host_order(app)[0] == "host-2", what="problems first")
        await send(hub, *health(H10, "unhealthy"))
        await send(hub, *vm_state("vm-boot-9", "unknown"))
        # host-10 joins host-2 among the unhealthy (by name among equals), ahead of mac-studio's troubled VM;
        # that VM first in its host
        await wait_for(pilot, lambda: host_order(app) == ["host-2", "host-10", "mac-studio", "host-1"],
                       what="host-10 moved up")
        await wait_for(pilot, lambda: vm_order(app, STUDIO) == ["boot-9", "win11"], what="the troubled VM first")
        await pilot.press("s", "s", "s")
        await wait_for(pilot, lambda: title(app.host_tree) == "Hosts (4)", what="the name order")
        assert host_order(app) == NAME_ORDER
        assert vm_order(app, STUDIO) == ["win11", "boot-9"]  # by state: stopped, then any other state


async def test_the_palette_lists_every_sort_order_and_runs_one() -> None:
    async with fleet_app() as (_hub, app, pilot):
        listed = await run_command(pilot, "Sort hosts by VM count", "by vm count")
        assert "Sort hosts by VM count" in listed
        await wait_for(pilot, lambda: title(app.host_tree) == "Hosts (4) by VM count", what="the order")
        assert host_order(app) == ["host-10", "host-1", "mac-studio", "host-2"]
        listed = await run_command(pilot, "Sort hosts by name", "by name")
        await wait_for(pilot, lambda: host_order(app) == NAME_ORDER, what="back to names")
        await pilot.press("ctrl+p", *"sort")
        await wait_for(pilot, lambda: len(_palette(app)) >= 4, what="the sort commands")
        assert {"Sort hosts by name", "Sort hosts by problems first", "Sort hosts by VM count",
                "Sort hosts by last heard"} <= set(_palette(app))


def _palette(app) -> list[str]:
    return [option.hit.text for option in app.screen.query_one(CommandList).options]


# ------------------------------------------------------------------ the filter grammar


async def test_the_filter_grammar_narrows_the_tree_and_the_title_counts() -> None:
    async with fleet_app() as (_hub, app, pilot):
        tree = app.host_tree
        cases = [
            ("state:stopped", {"host-1": ["db-1"], "host-10": ["alpha"], "mac-studio": ["win11"]},
             "Hosts 3/4, 3 VMs", "3 hosts, 3 VMs"),
            ("health:unhealthy", {"host-2": ["build-2"]}, "Hosts 1/4, 1 VM", "1 host, 1 VM"),
            ("-state:running", {"host-1": ["db-1"], "host-10": ["mid", "alpha"], "mac-studio": ["boot-9", "win11"]},
             "Hosts 3/4, 5 VMs", "3 hosts, 5 VMs"),
            ("state:stopped arch:x86", {"mac-studio": ["win11"]}, "Hosts 1/4, 1 VM", "1 host, 1 VM"),
            ("tag:ci state:run", {"host-1": ["web-1"]}, "Hosts 1/4, 1 VM", "1 host, 1 VM"),
            ("os:ubu -health:unhealthy", {"mac-studio": ["boot-9", "win11"]}, "Hosts 1/4, 2 VMs", "1 host, 2 VMs"),
            ("host-1", {"host-1": ["web-1", "db-1"], "host-10": ["apex", "zeta", "mid", "alpha"]},
             "Hosts 2/4, 6 VMs", "2 hosts, 6 VMs"),
        ]
        for i, (text, expected, counted, beside) in enumerate(cases):
            if i == 0:  # typed a key at a time ("s" in the line is text, not the sort key); the others pasted
                await type_filter(pilot, text)
            else:
                await paste_filter(pilot, text)
            assert shown(app) == expected, text
            assert title(tree) == f"{counted} matching “{text}”"
            assert note(app) == beside
            assert "-error" not in app.filter_note.classes
        await pilot.press("escape")  # clears, back in the tree
        await wait_for(pilot, lambda: host_order(app) == NAME_ORDER and len(app.host_tree.rows) == 13,
                       what="every row again")
        assert app.focused is app.host_tree and title(tree) == "Hosts (4)" and note(app) == ""


async def test_an_invalid_filter_is_said_beside_the_line_and_the_last_good_one_stays() -> None:
    async with fleet_app() as (_hub, app, pilot):
        await paste_filter(pilot, "state:stopped")
        good = shown(app)
        assert set(good) == {"host-1", "host-10", "mac-studio"}
        for text, said in [("state:stopped foo:bar", "unknown filter 'foo:'"),
                           ('state:stopped tag:"rack', 'a quote (") is not closed'),
                           ("state:", "'state:' needs a value"), ("-", "'-' needs a term after it")]:
            await paste_filter(pilot, text)
            assert said in note(app), (text, note(app))
            assert "-error" in app.filter_note.classes
            assert shown(app) == good and "matching “state:stopped”" in title(app.host_tree)
        # the error belongs to the tree's line: the log's search (Tab, /) has none, and the tree's has it again
        await pilot.press("tab", "slash")
        assert app.find_target == "log" and note(app) == "(plain)" and "-error" not in app.filter_note.classes
        await pilot.press("escape", "shift+tab", "slash")
        assert app.focused is app.filter_box and app.filter_box.value == "-" and "-error" in app.filter_note.classes
        await type_filter(pilot, "health:unhealthy")  # a good one again: the error is gone
        assert shown(app) == {"host-2": ["build-2"]} and "-error" not in app.filter_note.classes


HOSTILE = ["[/]", "[@click=app.quit]", "[b]x[/b", "\x1b[2J\x1b]52;c;aGk=\x07", "a\x9b31m\x07b", "\u202eevil\u200b"]


async def test_hostile_filter_text_is_inert() -> None:
    async with fleet_app() as (_hub, app, pilot):
        for hostile in HOSTILE:
            await paste_filter(pilot, hostile)
            drawn = title(app.host_tree)
            assert drawn.startswith("Hosts 0/4, 0 VMs matching “") and host_order(app) == [], repr(hostile)
            assert drawn.isprintable() and note(app).isprintable(), repr(drawn)
            if hostile.startswith("["):
                assert f"“{hostile}”" in drawn  # the brackets shown as typed, never read as markup
            await pilot.press("escape")
            await wait_for(pilot, lambda: host_order(app) == NAME_ORDER, what="the filter cleared")
            assert app.is_running and app.return_code is None and app.screen is app.main_screen


async def test_bang_shows_problems_only_alone_and_with_a_filter() -> None:
    async with fleet_app() as (_hub, app, pilot):
        tree = app.host_tree
        await pilot.press("exclamation_mark")
        # the unhealthy host with all its VMs; the healthy one with its starting VM only
        await wait_for(pilot, lambda: shown(app) == {"host-2": ["build-2"], "mac-studio": ["boot-9"]},
                       what="problems only")
        assert title(tree) == "Hosts 2/4, 2 VMs matching “!”" and "problems only" in toasts(app)
        await type_filter(pilot, "state:st")  # stopped or starting, AND a problem: only the starting VM
        await wait_for(pilot, lambda: shown(app) == {"mac-studio": ["boot-9"]}, what="the filter and problems")
        assert title(tree) == "Hosts 1/4, 1 VM matching “state:st !”"
        await pilot.press("exclamation_mark")  # off: the filter alone
        await wait_for(pilot, lambda: shown(app) == {"host-1": ["db-1"], "host-10": ["alpha"],
                                                     "mac-studio": ["boot-9", "win11"]}, what="the filter alone")
        assert "every host and VM again" in toasts(app)


# ------------------------------------------------------------------ the log's search and mute


def marked(log, y: int) -> list[str]:
    """The text of the segments of the log's row ``y`` that carry the match highlight."""
    mark = log.get_component_rich_style("event-log--match")
    assert mark.reverse or mark.bold or mark.underline or mark.bgcolor  # a highlight that shows
    return [s.text for s in log.render_line(y) if s.style is not None
            and all(getattr(s.style, a) for a in ("reverse", "bold", "underline", "italic") if getattr(mark, a))]


async def test_the_log_search_filters_rows_highlights_and_counts() -> None:
    async with fleet_app() as (hub, app, pilot):
        log = app.log_view
        for frame in (stats(H1), vm_state("vm-db-1", "starting"), stats(H2)):
            await send(hub, *frame)
        await send(hub, "orchestrator", "HOST_LOGS_UPDATE", {"host_id": STUDIO, "log": {
            "level": "error", "message": "Disk FULL on /Volumes/data", "time": "2026-01-01T00:00:00Z"}})
        await wait_for(pilot, lambda: log.row_count() == 5, what="the events in the log")
        await pilot.press("tab")
        assert app.focused is log
        # plain, case-insensitive, over the body, a host's name, a VM's name
        for text, row, hit in [("disk", "Disk FULL", "Disk"), ("STUDIO", "mac-studio", "studio"),
                               ("db-1", "stopped → starting", "db-1")]:
            await type_filter(pilot, text)
            rows = [line for line in screen_text(log) if line]
            assert len(rows) == 1 and row in rows[0], rows
            assert marked(log, 0) == [hit]
            assert title(log).endswith(f'— "{text}" 1 row')
        await type_filter(pilot, "zzz")
        assert not any(screen_text(log)) and title(log).endswith('"zzz" 0 rows')
        # a regular expression: ctrl+r; a bad one is said beside the line and the last good one stays
        await type_filter(pilot, r"host-[12]\b")  # plain: nothing has these characters
        assert title(log).endswith(r'"host-[12]\b" 0 rows')
        await pilot.press("slash", "ctrl+r")  # back in the line, and a regular expression now
        await wait_for(pilot, lambda: title(log).endswith(r"/host-[12]\b/ 3 rows"), what="the regex")
        assert all("host-1 " in line or "host-2 " in line for line in screen_text(log) if line)
        assert "(regex)" in note(app)
        await pilot.press("(")
        await keep(pilot)
        await wait_for(pilot, lambda: "-error" in app.filter_note.classes, what="the bad pattern said")
        assert "not a valid regular expression" in note(app)
        assert title(log).endswith(r"/host-[12]\b/ 3 rows") and log.row_count() == 3
        await pilot.press("escape")
        await wait_for(pilot, lambda: log.row_count() == 5, what="every row again")
        assert title(log) == "Events (local time)" and app.focused is log


async def test_m_mutes_a_type_in_the_log_while_the_tree_applies_it_and_the_palette_unmutes() -> None:
    async with fleet_app() as (hub, app, pilot):
        log = app.log_view
        await send(hub, *vm_state("vm-db-1", "starting"))
        await send(hub, *stats(H1))
        await wait_for(pilot, lambda: log.row_count() == 3, what="the events in the log")
        await pilot.press("tab", "home", "down")  # the VM_STATE row
        assert "VM_STATE" in screen_text(log)[log.cursor]
        await pilot.press("m")
        await wait_for(pilot, lambda: not any("VM_STATE" in line for line in screen_text(log)), what="muted")
        assert title(log) == "Events (local time) — 1 type muted" and log.row_count() == 2
        assert any("HOST_VM_STATE_CHANGED hidden from the log" in t for t in toasts(app))
        # the tree still applies the type: a VM stops, its row says so, the log shows nothing of it
        await send(hub, *vm_state("vm-web-1", "stopping"))
        await wait_for(pilot, lambda: "↘ stopping" in _tree_row(app, "web-1"), what="the tree applied it")
        await send(hub, *stats(H2))  # the log is live: what came after is there
        await wait_for(pilot, lambda: any("host-2" in line for line in screen_text(log)), what="the next event")
        assert not any("VM_STATE" in line for line in screen_text(log))
        listed = await run_command(pilot, "Unmute: HOST_VM_STATE_CHANGED", "unmute")
        assert listed == ["Unmute: HOST_VM_STATE_CHANGED"]
        await wait_for(pilot, lambda: log.row_count() == 5, what="the rows back")
        back = [line for line in screen_text(log) if "VM_STATE" in line]
        assert len(back) == 2 and "running → stopping" in back[1]
        assert title(log) == "Events (local time)"


def _tree_row(app, name: str) -> str:
    return next((line for line in tree_lines(app) if f"─ {name} " in line), "")
