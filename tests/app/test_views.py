"""The jobs view, a host's service log and the flat VM table (issue 15), driven as a user would (Pilot), against
the simulator on 127.0.0.1 over real sockets: what the rows say, the failed job's highlight, the level filter
and the search, a bad regular expression, following and holding, sorting, the filter, Enter on a VM, and
hostile text shown as inert text everywhere."""

from __future__ import annotations

import pytest
from kit.app import screen_text, settings_for, wait_for
from kit.client import connected
from kit.payloads import PAYLOADS, raw_controls
from kit.sim import simulator
from textual.geometry import Region

from tui.app.app import HubtopApp
from tui.app.screens.hostlogs import HostLogsScreen, LogLineScreen
from tui.app.screens.jobs import JobDetailScreen, JobsScreen
from tui.app.screens.vm_table import VmTableScreen
from tui.app.widgets.job_list import JobList
from tui.app.widgets.service_log import ServiceLog
from tui.app.widgets.vm_table import VmTable
from tui.model.entities import hostname_of, natural_key

pytestmark = pytest.mark.timeout(60)

JOBS_ON = ("orchestrator", "health", "job_manager", "system_logs")
#: host log lines must arrive in the order they are sent (the simulator reorders orchestrator frames by default)
IN_ORDER = {"frozen": True, "reorder": False}
#: markup, a terminal escape, a title-setting OSC and a bidi override: each must show as text, and do nothing
EVIL = "[/]x [@click=app.quit]click[/] \x1b[2JCLEAR-MARK \x1b]0;PWNED\x07 \u202eRLO-MARK"


def job(job_id: str, state: str, created: str, **fields) -> dict:
    return {"id": job_id, "state": state, "progress": fields.pop("progress", 0), "job_type": "catalog",
            "job_operation": "pull", "owner_name": "alice", "created_at": created, "updated_at": created, **fields}


def log_line(host_id: str, level: str, message: str) -> dict:
    return {"host_id": host_id, "log": {"level": level, "message": message, "time": "2026-11-18T10:00:00Z"}}


def assert_inert(text: str, allow: str = "") -> None:
    """Hostile text shown as text: the markup literally, the controls as visible stand-ins, none raw."""
    assert "[/]x [@click=app.quit]click[/]" in text
    assert "␛[2JCLEAR-MARK" in text and "RLO-MARK" in text
    assert not raw_controls(text, allow), raw_controls(text, allow)


def shown(widget) -> str:
    """What a widget draws on the screen, line by line (a Static's text as laid out, markup and all)."""
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, *widget.size)))


def row_styles(widget, y: int) -> list:
    return [seg.style for seg in widget.render_line(y) if seg.style is not None]


async def start(pilot, app: HubtopApp) -> None:
    await wait_for(pilot, lambda: connected(app.monitor.feed) and app.host_tree.rows, what="the first snapshot")


async def show(pilot, app: HubtopApp, screen, callback=None):
    """Push ``screen`` as the app would, and wait until it is mounted and has drawn."""
    await app.push_screen(screen, callback)
    await pilot.pause()
    return screen


# ------------------------------------------------------------------------------------------------ jobs


async def test_jobs_newest_first_failed_highlighted_hostile_inert_and_enter_shows_steps() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim, channels=JOBS_ON))
        async with app.run_test(size=(160, 40)) as pilot:
            await start(pilot, app)
            host = sim.world.hosts_json()[0]
            sim.emit("job_manager", "JOB_CREATED", job("job-old", "completed", "2026-11-18T09:00:00Z",
                                                       progress=100, message="done"))
            sim.emit("job_manager", "JOB_UPDATED", {"host_id": host["id"], "event": job(
                "job-new", "failed", "2026-11-18T10:00:00Z", progress=40, message="download failed",
                error=f"download failed: {EVIL}",
                steps=[{"name": "download", "display_name": "Download", "state": "failed", "error": EVIL}])})
            jobs = (await show(pilot, app, JobsScreen())).query_one(JobList)
            await wait_for(pilot, lambda: len(jobs.rows) == 2, what="both jobs")
            await pilot.pause(0.1)
            rows = screen_text(jobs)
            # newest first: the failed job, with its state as a symbol and a word, its host and its error
            assert rows[0].startswith("✖ failed") and "40%" in rows[0] and "catalog pull" in rows[0]
            assert hostname_of(host["host"]) in rows[0] and "alice" in rows[0]
            assert rows[1].startswith("✔ completed") and "100%" in rows[1] and "server" in rows[1]
            assert "download failed" in rows[0]
            title = str(app.screen.query_one("#jobs-box").border_title)
            assert "2 jobs" in title and "1 failed" in title
            # the failed row is marked (its background) where the cursor is not; the completed one is not
            await pilot.press("down")
            failed_bg = jobs.style_for("job-list--failed").bgcolor
            assert failed_bg is not None
            assert all(style.bgcolor == failed_bg for style in row_styles(jobs, 0))
            assert not any(style.bgcolor == failed_bg for style in row_styles(jobs, 1) if jobs.cursor != 1)
            # the hostile error in full: a narrow row cuts it, so read it from the dialog
            await pilot.press("up", "enter")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen)
            steps = shown(dialog.query_one("#job-steps"))
            assert "✖ Download failed:" in steps
            assert_inert(steps, allow="\n")
            as_json = shown(dialog.query_one("#job-json"))
            assert '"job-new"' in as_json and "[@click=app.quit]" in as_json and "\\u202e" in as_json
            assert not raw_controls(as_json, allow="\n")
            assert "Job catalog pull job-new" in str(dialog.query_one("#job-body").border_title)
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen), what="back to the jobs")
            await pilot.press("q")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="back to the main screen")
            assert app.is_running  # the [@click=app.quit] in the data did nothing


async def test_jobs_offer_the_channel_when_it_is_off_and_s_subscribes() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim))  # the default channels: no job_manager
        async with app.run_test(size=(120, 30)) as pilot:
            await start(pilot, app)
            screen = await show(pilot, app, JobsScreen())
            empty = screen.query_one("#jobs-empty")
            await wait_for(pilot, lambda: "channel is off" in str(empty.content), what="the offer")
            assert "press s to subscribe" in str(empty.content)
            assert screen.active_bindings["s"].binding.action == "subscribe"
            await pilot.press("s")
            feed = app.monitor.feed
            await wait_for(pilot, lambda: feed.status is not None and "job_manager" in feed.status.subscriptions
                           and connected(feed), what="subscribed to job_manager")
            sim.emit("job_manager", "JOB_CREATED", job("job-1", "running", "2026-11-18T10:00:00Z", progress=10,
                                                       message="Validate"))
            jobs = screen.query_one(JobList)
            await wait_for(pilot, lambda: jobs.rows, what="the job")
            await pilot.pause(0.1)
            assert screen_text(jobs)[0].startswith("▶ running")
            assert not empty.display  # nothing to offer any more, and a job to show
            assert screen.active_bindings["s"].binding.action != "subscribe"


async def test_job_ages_tick_with_the_clock() -> None:
    now = [1_795_000_000.0]  # 2026-11-18T11:06:40Z
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim, channels=JOBS_ON), clock=lambda: now[0])
        async with app.run_test(size=(120, 24)) as pilot:
            await start(pilot, app)
            sim.emit("job_manager", "JOB_CREATED", job("j", "running", "2026-11-18T11:05:40Z", progress=5))
            jobs = (await show(pilot, app, JobsScreen())).query_one(JobList)
            await wait_for(pilot, lambda: jobs.rows, what="the job")
            await pilot.pause(0.1)
            assert "1m" in screen_text(jobs)[0].split()
            repainted: list = []
            refresh = jobs.refresh

            def spy(*regions, **kw):  # which cells the list asks to repaint
                repainted.extend(regions)
                return refresh(*regions, **kw)

            jobs.refresh = spy
            now[0] += 2 * 3600
            age = next(p for p in jobs.placed(jobs.scrollable_content_region.width) if p.column.key == "age")
            await wait_for(pilot, lambda: Region(age.x, 0, age.width, 1) in repainted, what="the age's cells repainted")
            assert "2h" in screen_text(jobs)[0].split()
            assert all(r.width == age.width for r in repainted)  # only the age's cells, not the row


# ------------------------------------------------------------------------------------------------ service logs


async def test_host_log_level_filter_search_and_a_bad_regex() -> None:
    async with simulator(**IN_ORDER) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(140, 30)) as pilot:
            await start(pilot, app)
            host = sim.world.hosts_json()[1]
            for level, message in (("debug", "tick"), ("info", "disk ok"), ("warn", "disk 91% full"),
                                   ("error", f"disk full {EVIL}")):
                sim.emit("orchestrator", "HOST_LOGS_UPDATE", log_line(host["id"], level, message))
            screen = await show(pilot, app, HostLogsScreen(host["id"]))
            log = screen.query_one(ServiceLog)
            box = screen.query_one("#logs-box")
            await wait_for(pilot, lambda: len(log.rows) == 4, what="the four lines")
            await pilot.pause(0.1)
            rows = screen_text(log)
            assert "· debug" in rows[0] and "tick" in rows[0]
            assert "⚠ warning" in rows[2] and "disk 91% full" in rows[2]
            assert "✖ error" in rows[3]
            assert_inert(rows[3])
            assert hostname_of(host["host"]) in str(box.border_title) and "all levels" in str(box.border_title)
            assert "4 of 4 lines" in str(box.border_subtitle)
            shown = []
            for _ in range(4):  # l: info and worse, warning and worse, errors only, all again
                await pilot.press("l")
                shown.append((len(log.rows), str(box.border_title).split(" · ")[1]))
            assert shown == [(3, "info and worse"), (2, "warning and worse"), (1, "errors only"), (4, "all levels")]
            # a plain search, its matches highlighted
            await pilot.press("slash", *"DISK")
            assert len(log.rows) == 3 and 'search "DISK"' in str(box.border_title)
            await pilot.press("slash")  # in the box, "/" is text
            assert screen.query_one("#logs-search").value == "DISK/" and not log.rows
            await pilot.press("backspace")
            await pilot.press("enter")
            match = log.style_for("service-log--match")
            hits = [seg.text for seg in log.render_line(1) if seg.style is not None and seg.style.underline
                    and seg.style.bgcolor == match.bgcolor]
            assert hits == ["disk"]
            assert "3 of 4 lines" in str(box.border_subtitle)
            # a regular expression (Ctrl+R); a bad one says why, and the rows keep the last search that worked
            await pilot.press("slash", "ctrl+a", "ctrl+k", *r"disk \d+%", "ctrl+r")
            assert [m.line.text for m in log.rows] == ["disk 91% full"]
            assert "search /disk \\d+%/" in str(box.border_title)
            await pilot.press("(")
            problem = screen.query_one("#logs-problem")
            assert problem.display and "not a valid regular expression" in str(problem.content)
            assert [m.line.text for m in log.rows] == ["disk 91% full"]
            await pilot.press("escape")  # in the search box: clears it
            assert len(log.rows) == 4 and not problem.display and isinstance(app.screen, HostLogsScreen)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main_screen, what="back")


async def test_host_log_follows_holds_and_end_follows_again() -> None:
    async with simulator(**IN_ORDER) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(100, 24)) as pilot:
            await start(pilot, app)
            hid = sim.world.hosts_json()[0]["id"]
            for n in range(40):
                sim.emit("orchestrator", "HOST_LOGS_UPDATE", log_line(hid, "info", f"line {n}"))
            await show(pilot, app, HostLogsScreen(hid))
            log = app.screen.query_one(ServiceLog)
            box = app.screen.query_one("#logs-box")
            await wait_for(pilot, lambda: len(log.rows) == 40, what="the lines")
            await pilot.pause(0.1)
            assert log.following and log.cursor == 39 and "line 39" in screen_text(log)[-1]
            await pilot.press("up", "up")
            held = log.rows[log.cursor].line.text
            assert not log.following and "held" in str(box.border_subtitle)
            for n in range(40, 45):
                sim.emit("orchestrator", "HOST_LOGS_UPDATE", log_line(hid, "info", f"line {n}"))
            await wait_for(pilot, lambda: len(log.rows) == 45, what="new lines while held")
            assert log.rows[log.cursor].line.text == held  # the view holds on its line
            await wait_for(pilot, lambda: "+5 new" in str(box.border_subtitle), what="the count of new lines")
            await pilot.press("G")
            assert log.following and log.cursor == 44
            await pilot.pause(0.1)
            assert "line 44" in screen_text(log)[-1] and "following" in str(box.border_subtitle)


async def test_the_servers_own_log() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim, channels=JOBS_ON))
        async with app.run_test(size=(120, 24)) as pilot:
            await start(pilot, app)
            sim.emit("system_logs", "System Log", {"level": "error", "message": f"[Orchestrator] {EVIL}",
                                                   "time": "2026-11-18T10:00:00Z"})
            await show(pilot, app, HostLogsScreen(""))
            log = app.screen.query_one(ServiceLog)
            await wait_for(pilot, lambda: log.rows, what="the server's line")
            await pilot.pause(0.1)
            assert "the server's own log" in str(app.screen.query_one("#logs-box").border_title)
            assert_inert(screen_text(log)[0])
            await pilot.press("enter")  # the whole line, in a dialog
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, LogLineScreen) and app.screen)
            text = shown(dialog.query_one("#logline-text"))
            assert "[Orchestrator] " in text and "✖ error" in str(dialog.query_one("#logline-body").border_title)
            assert_inert(text, allow="\n")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, HostLogsScreen), what="back to the log")


# ------------------------------------------------------------------------------------------------ VM table


async def test_vm_table_sorts_filters_and_enter_returns_the_vm() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(160, 40)) as pilot:
            await start(pilot, app)
            chosen: list = []
            screen = await show(pilot, app, VmTableScreen(), chosen.append)
            table = screen.query_one(VmTable)
            head = screen.query_one("#vms-head")
            vms = sim.world.machines_json()
            await wait_for(pilot, lambda: len(table.rows) == len(vms), what="every VM")
            await pilot.pause(0.1)
            names = [line.split("  ")[0].strip() for line in screen_text(table)[: len(vms)]]
            assert names == sorted((v["Name"] for v in vms), key=natural_key)
            assert str(head.content).startswith("NAME ▲")
            await pilot.press("s")  # by host
            assert "HOST ▲" in str(head.content) and "by host, ascending" in str(screen.query_one("#vms-box").border_title)
            hosts = [r.host for r in table.rows]
            assert hosts == sorted(hosts, key=natural_key)
            await pilot.press("S")
            assert "HOST ▼" in str(head.content)
            assert [r.host for r in table.rows] == sorted(hosts, key=natural_key, reverse=True)
            await pilot.press("s", "s", "s", "s")  # state, OS, uptime, back to name
            assert str(head.content).startswith("NAME ▼")
            # the quick filter: plain text in the name, host, OS or state; typed fast, as a terminal sends a
            # burst, every key after the "/" lands in the box
            for key in ("slash", *"RUNNING"):
                app.simulate_key(key)
            await wait_for(pilot, lambda: screen.query_one("#vms-filter").value == "RUNNING", what="the filter")
            running = [v for v in vms if v["State"] == "running"]
            assert len(table.rows) == len(running) and {r.state for r in table.rows} == {"running"}
            assert f"{len(running)} of {len(vms)}" in str(screen.query_one("#vms-box").border_title)
            await pilot.press("enter", "home", "down")  # out of the filter, to the second row
            want = table.rows[1].key
            assert table.cursor == 1
            await pilot.press("enter")
            await wait_for(pilot, lambda: chosen, what="the VM's key")
            assert chosen == [want] and want[0] == "v"
            assert (want[1], want[2]) in {(v["host_id"], v["ID"]) for v in running}


async def test_vm_table_follows_the_model_and_shows_hostile_names_inert() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim))
        async with app.run_test(size=(120, 30)) as pilot:
            await start(pilot, app)
            await show(pilot, app, VmTableScreen())
            table = app.screen.query_one(VmTable)
            total = len(sim.world.machines_json())
            await wait_for(pilot, lambda: len(table.rows) == total, what="every VM")
            host = sim.world.hosts_json()[0]["id"]
            vm_id = "00000000-aaaa-bbbb-cccc-00000000e411"
            sim.emit("orchestrator", "HOST_VM_ADDED", {"host_id": host, "event": {"vm_id": vm_id, "new_vm": {
                "ID": vm_id, "Name": "0-" + EVIL + PAYLOADS["osc8"], "State": "running", "OS": "ubuntu"}}})
            await wait_for(pilot, lambda: len(table.rows) == total + 1, what="the new VM in the table")
            await pilot.pause(0.1)
            first = screen_text(table)[0]
            assert first.startswith("0-[/]x [@click=app.quit]")  # the natural order puts "0-" first
            assert not raw_controls(first)
            sim.emit("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": host, "event": {
                "vm_id": vm_id, "previous_state": "running", "current_state": "resetting"}})
            await wait_for(pilot, lambda: table.rows[0].state == "resetting", what="the new state")
            await pilot.pause(0.1)
            assert "↻ resetting" in screen_text(table)[0]
            assert app.is_running


async def test_ascii_glyphs_in_the_views() -> None:
    async with simulator(frozen=True) as sim:
        app = HubtopApp(settings_for(sim, channels=JOBS_ON), ascii=True)
        async with app.run_test(size=(120, 30)) as pilot:
            await start(pilot, app)
            sim.emit("job_manager", "JOB_UPDATED", job("j", "failed", "2026-11-18T10:00:00Z", error="boom"))
            await show(pilot, app, VmTableScreen())
            head = app.screen.query_one("#vms-head")
            await wait_for(pilot, lambda: str(head.content).startswith("NAME ^"), what="the ASCII arrow")
            await pilot.press("S")
            assert str(head.content).startswith("NAME v")
            await pilot.press("q")
            await show(pilot, app, JobsScreen())
            jobs = app.screen.query_one(JobList)
            await wait_for(pilot, lambda: jobs.rows, what="the job")
            await pilot.pause(0.1)
            assert screen_text(jobs)[0].startswith("x failed")
            assert all(ch.isascii() for ch in "".join(screen_text(jobs)))
