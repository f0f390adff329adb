"""The TUI's `e` export: a replayable recording of the journal, created new at 0600, holding no secret, that
replays to the model the screen held."""

from __future__ import annotations

import json

from kit.app import settings_for, wait_for
from kit.sim import model_view, simulator

from tui.app.app import HubtopApp
from tui.live.feed import Feed
from tui.live.replay import ReplaySource


async def test_export_is_a_recording_that_replays_to_what_the_screen_held(tmp_path) -> None:
    async with simulator(rate=50, frozen=False) as sim:
        app = HubtopApp(settings_for(sim), export_dir=tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.monitor.feed.journal.received > 30, what="events")
            sim.world.frozen = True  # the world holds still: what the app holds is what it exports
            await pilot.pause(0.5)
            with app.monitor.read() as live:
                held = model_view(live.cluster)
                received = len(live.journal)
            await pilot.press("e")
            await wait_for(pilot, lambda: app.last_export is not None, what="the export")
            path = app.last_export
            assert path.parent == tmp_path and path.name.endswith(".jsonl")
            assert oct(path.stat().st_mode & 0o777) == "0o600"
            text = path.read_text()
            assert sim.token not in text
            records = [json.loads(line) for line in text.splitlines()]
            assert records[0]["k"] == "header" and records[0]["format"] == "hubtop-recording"
            frames = [f for r in records if r["k"] == "frames" for f in r["frames"]]
            assert len(frames) >= min(received, 30)
            assert json.loads(frames[0])["message"].startswith("WebSocket connection established")
            # replayed headless at full speed, it ends where the live model was
            feed = Feed()
            await ReplaySource(path, feed, speed=None).run()
            assert model_view(feed.cluster) == held
