"""No secret on the screen, in the export, the logs or the output of the app, and the app only reads: against the
simulator, with a token that expires on a live connection, a channel turned off and on, an export."""

from __future__ import annotations

import json
import logging

import pytest
from kit.app import static_text, wait_for
from kit.client import connected
from kit.leaks import (
    API_KEY,
    PASSWORD,
    PING_FRAME,
    READS,
    TOKEN,
    assert_nowhere,
    log_text,
)
from kit.sim import settings_for, simulator

from tui.app.app import HubtopApp
from tui.settings import SecretStr

pytestmark = pytest.mark.timeout(60)


async def test_no_secret_on_screen_and_hubtop_only_reads(caplog, capfd, tmp_path):
    """The app against the simulator, with a token that expires on a live connection, a channel turned off
    and on, an export: no secret in the screen, the export, the logs or the output; and the server saw nothing
    but the reads and the two client frames."""
    caplog.set_level(logging.DEBUG)
    renewed = "tok-RENEWED-SECURITY-5c3a"
    async with simulator(recorded=True, hosts=3, vms=2, seed=9, token=TOKEN, password=PASSWORD,
                         api_key=API_KEY) as sim:
        rec = sim.rec
        settings = settings_for(sim, user=sim.user, password=SecretStr(PASSWORD), ping_interval=0.2,
                                backoff_base=0.05, backoff_cap=0.2)
        app = HubtopApp(settings, export_dir=tmp_path)
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            app.toggle_channel("health")  # off: unsubscribe in place
            await wait_for(pilot, lambda: "health" not in app.monitor.feed.status.subscriptions, what="health off")
            app.toggle_channel("health")  # on: a planned reconnect
            await wait_for(pilot, lambda: connected(app.monitor.feed, 2) and "health" in app.monitor.feed.status.subscriptions,
                           what="health on")
            await wait_for(pilot, lambda: len([f for f in rec.frames if json.loads(f[1]) == PING_FRAME]) >= 2,
                           what="pings")
            sim.token = renewed  # the token expires: the server refuses it and drops the connection
            await sim.drop_all(1008)
            await wait_for(pilot, lambda: connected(app.monitor.feed, 3), what="connected after a fresh login")
            await pilot.press("e")
            await wait_for(pilot, lambda: app.last_export is not None, what="the export")
            await pilot.pause(0.3)
            texts = {
                "the screen": app.export_screenshot(),
                "the status bar": static_text(app.status_bar, width=400),
                "the export": app.last_export.read_text(),
                "notes": "\n".join(n.text for n in app.monitor.feed.notes),
            }
            await pilot.press("q")
    texts["logs"] = log_text(caplog)
    out, err = capfd.readouterr()
    texts["output"] = out + err
    assert_nowhere([TOKEN, renewed, PASSWORD, API_KEY], texts)
    # hubtop only reads: logins, the two listings, unsubscribe, and the WebSocket
    calls = {(method, path) for method, path, _ in rec.requests}
    assert calls == READS, calls
    assert ("POST", "/api/v1/auth/token", 200) in rec.requests
    assert {json.dumps(json.loads(text), sort_keys=True) for _, text in rec.frames} == {
        json.dumps(PING_FRAME, sort_keys=True)}
