"""4 · burst: the TUI under the hub's worst regular pattern, a full 2,048-frame burst every 100 ms.

Same run and figures as ``tui`` (headless baseline, app idle, app under load), with the simulator's extra
rate at 20,480 ev/s: with the world's own ~1,700 ev/s on top, every 100-ms flush finds the client's queue
full, so each flush is exactly 2,048 frames (20,480 ev/s) and the hub drops the oldest of the rest, as the
real server does. Drops are therefore expected here; the headless baseline shows how many are the hub's
cap and how many more the app adds.
"""

from __future__ import annotations

from .common import Result
from .tui_load import run_scenario

NAME = "burst"
TITLE = "the TUI under 2,048-frame bursts every 100 ms (1,000 hosts x 20 VMs)"
EXTRA_RATE = 20_480


def run(args) -> Result:
    result = Result(NAME, TITLE)
    run_scenario(result, args, EXTRA_RATE, f"load {EXTRA_RATE:,} ev/s + the world's own: every 100-ms flush a "
                 "full queue of 2,048 frames")
    return result
