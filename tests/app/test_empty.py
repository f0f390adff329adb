"""An empty tree says why it is empty, in place of its rows: no listing yet (and what the connection is doing), a
server that lists no hosts, a filter that matches nothing."""

from __future__ import annotations

from kit.app import screen_text, seeded_app, wait_for
from kit.client import connected
from kit.hub import TOKEN, HubServer

from tui.app.app import HubtopApp
from tui.settings import SecretStr, Settings


async def test_before_any_listing_the_tree_says_it_waits_and_why() -> None:
    # nothing listens on port 9: the app keeps retrying, and the tree says so rather than stay blank
    app = HubtopApp(Settings(url="http://127.0.0.1:9", token=SecretStr("t"), backoff_base=5.0, backoff_cap=5.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "no listing from the server yet" in screen_text(app.host_tree)[0],
                       what="the empty tree's note")
        line = screen_text(app.host_tree)[0]
        assert "reconnecting" in line or "connecting" in line, line


async def test_a_server_with_no_hosts_and_a_filter_that_matches_nothing() -> None:
    async with HubServer() as hub:
        app = HubtopApp(Settings(url=hub.url, token=SecretStr(TOKEN)))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            await wait_for(pilot, lambda: "the server lists no hosts" in screen_text(app.host_tree)[0],
                           what="the note for an empty fleet")
    app = seeded_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"no-such-host", "enter")
        await wait_for(pilot, lambda: not app.host_tree.rows, what="nothing matches")
        await wait_for(pilot, lambda: "matches “no-such-host”" in screen_text(app.host_tree)[0], what="the note")
        assert "Escape clears" in screen_text(app.host_tree)[0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.host_tree.rows, what="every host again")
        assert "matches" not in screen_text(app.host_tree)[0]
