"""``hubtop`` in a real pseudo-terminal against the simulator: a ``kill`` (SIGTERM) or a closed SSH session
(SIGHUP) and Ctrl+C put the terminal back as it was (the alternate screen left, the cursor shown, the line
discipline restored) with the shell's exit codes; ``y`` reaches the terminal as an OSC 52 sequence whose text is
the selected host's id."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import termios

import pytest
from kit.pty import PtyApp
from kit.sim import simulator

pytestmark = pytest.mark.timeout(90)

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"


def env_for(sim, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBTOP_", "TMUX", "TEXTUAL"))}
    env.update(HUBTOP_TOKEN=sim.token, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), LANG="C.UTF-8")
    return env


async def run_until(app: PtyApp, needle: bytes, since: int = 0) -> None:
    await asyncio.to_thread(app.wait_for, needle, 30.0, since)


@pytest.mark.parametrize(("how", "code"), [("SIGTERM", 143), ("SIGHUP", 129), ("ctrl+c", 0)])
async def test_the_terminal_is_put_back_whatever_ends_it(how: str, code: int, tmp_path) -> None:
    async with simulator(hosts=3, vms=2) as sim:
        app = PtyApp(["--url", sim.url], env_for(sim, tmp_path))
        try:
            before = app.terminal_modes()
            await run_until(app, b"Hosts (3)")  # connected, the snapshot drawn
            drawing = app.terminal_modes()
            assert not drawing[3] & termios.ICANON  # the app reads keys one by one while it runs
            mark = len(app.seen())
            if how == "ctrl+c":
                app.write(b"\x03")
            else:
                app.signal(getattr(signal, how))
            assert await asyncio.to_thread(app.wait) == code
            tail = app.seen()[mark:]
            assert LEAVE_ALT_SCREEN in tail and SHOW_CURSOR in tail
            after = app.terminal_modes()
            assert after[3] & termios.ICANON and after[3] & termios.ECHO  # a shell's line discipline again
            assert after[3] == before[3]
            assert b"Traceback" not in app.seen()
        finally:
            app.close()


async def test_y_copies_the_selected_hosts_id_through_osc_52(tmp_path) -> None:
    async with simulator(hosts=3, vms=2) as sim:
        app = PtyApp(["--url", sim.url], env_for(sim, tmp_path))
        try:
            await run_until(app, b"Hosts (3)")
            mark = len(app.seen())
            app.write(b"y")
            await run_until(app, b"\x07", since=mark)
            found = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]+)\x07", app.seen()[mark:])
            assert found, app.seen()[mark:][:400]
            copied = base64.b64decode(found[1]).decode()
            assert copied in {h["id"] for h in sim.world.hosts_json()}
            app.write(b"q")
            assert await asyncio.to_thread(app.wait) == 0
        finally:
            app.close()


async def test_ctrl_z_suspends_and_coming_back_draws_every_cell_again(tmp_path) -> None:
    async with simulator(hosts=3, vms=2, frozen=True) as sim:  # frozen: nothing would redraw on its own
        app = PtyApp(["--url", sim.url], env_for(sim, tmp_path))
        try:
            await run_until(app, b"Hosts (3)")
            await asyncio.sleep(1.0)
            mark = len(app.seen())
            app.write(b"\x1a")  # Ctrl+Z
            await run_until(app, LEAVE_ALT_SCREEN, since=mark)  # the terminal handed back to the shell
            stopped = os.waitpid(app.pid, os.WUNTRACED)[1]
            assert os.WIFSTOPPED(stopped)
            mark = len(app.seen())
            app.signal(signal.SIGCONT)  # what fg does
            await run_until(app, b"Hosts (3)", since=mark)  # the tree's border: not a changed row, a full redraw
            await run_until(app, b"Quit", since=mark)  # and the footer
            app.write(b"q")
            assert await asyncio.to_thread(app.wait) == 0
        finally:
            app.close()
