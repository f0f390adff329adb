"""Huge fields: a 10 MB host description and 1 MB strings in events are data to cut for display, not text to lay
out on every repaint. The app comes up, shows them cut, and answers keys."""

from __future__ import annotations

from kit.app import screen_text, wait_for
from kit.hub import Conn, HubServer
from kit.wire import HOST_A, HOST_B, frame, host_record

from tui.app.app import HubtopApp
from tui.app.screens.help import HelpScreen
from tui.settings import SecretStr, Settings

HUGE = "ten megabytes of description " * 360_000  # ~10 MB


async def test_a_ten_megabyte_description_is_cut_and_the_app_answers_keys():
    async with HubServer() as hub:
        hub.hosts = [host_record(HOST_A, "mac-01.local", description=HUGE), host_record(HOST_B, "", description=HUGE)]

        async def script(conn: Conn) -> None:
            for _ in range(20):
                await conn.send(frame("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST_A, "log": {
                    "level": "info", "message": HUGE[: 1_000_000], "time": ""}}))

        hub.script = script
        app = HubtopApp(Settings(url=hub.url, token=SecretStr("tok-initial"), timeout=20.0))
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: app.monitor.feed.journal.received >= 21, timeout=30, what="the huge frames")
            await pilot.pause(0.5)
            rows = screen_text(app.host_tree)
            assert any("mac-01.local" in row for row in rows)
            assert all(len(row) <= 160 for row in rows)
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), timeout=10, what="the help screen")
            await pilot.press("escape")
            app.host_tree.focus()
            await pilot.press("down")  # the details of the host with the huge description
            await pilot.pause(0.5)
            assert app.is_running
