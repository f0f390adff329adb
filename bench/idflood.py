"""``python -m bench idflood``: memory under a flood of new ids (a hostile or broken hub).

A ``websockets`` server in a child process answers the two listings with a small fleet (10 hosts x 4 VMs), sends
the confirmation, then frames in which every id is new, as fast as it can make them (bounded by ``RATE``): hosts
added (``HOST_ADDED``), stats and events for hosts nobody listed, state changes of VMs nobody listed, event types
(channels) and message names never seen before. It measures the peak RSS of ``hubtop status --wait 30`` and of
the TUI in a pseudo-terminal for 60 s against it. Baseline in the same run: the same two against a quiet hub (the
listings and the confirmation, then nothing). Target (issue 10): at most 300 MiB each.

What keeps it bounded: the model caps hosts and VMs and the set of ids it asks about (a counter of refused ids
instead), the journal keeps 10,000 entries and a byte budget, the per-channel counters keep 32 names.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing as mp
import os
import sys
import time

from .common import Figure, Result, mib, rss_bytes

TITLE = "memory under a flood of new ids: status --wait 30 and the TUI for 60 s"
TOKEN = "idflood-token"
RATE = 20_000  # frames a second at most
TARGET_MIB = 300


def _hosts() -> list[dict]:
    return [{"id": f"{i:064x}", "host": f"http://mac-{i:02d}.local:80/api", "state": "healthy",
             "has_websocket_events": True, "architecture": "arm64", "cpu_model": "M2", "enabled": True,
             "is_reverse_proxy_enabled": False, "is_log_streaming_enabled": True, "resources": {}}
            for i in range(10)]


def _vms() -> list[dict]:
    return [{"ID": f"vm-{h}-{v}", "Name": f"vm-{h}-{v}", "State": "running", "OS": "ubuntu",
             "host_id": f"{h:064x}"} for h in range(10) for v in range(4)]


def _frames(flood: bool):
    """Frames with new ids each, forever (``flood``), or nothing."""
    n = itertools.count()
    stamp = "2026-12-02T10:00:00.000000001Z"
    while flood:
        i = next(n)
        kind = i % 5
        fid = f"{i:064x}"
        if kind == 0:
            body = {"host_id": f"new-host-{i}", "host": f"http://new-{i}.local/api", "description": "flood"}
            msg, chan = "HOST_ADDED", "orchestrator"
        elif kind == 1:
            body, msg, chan = {"host_id": f"ghost-{i}", "stats": {"cpu_percent": 1}}, "HOST_STATS_UPDATE", "orchestrator"
        elif kind == 2:
            body = {"host_id": f"{i % 10:064x}", "event": {"vm_id": f"ghost-vm-{i}", "previous_state": "stopped",
                                                          "current_state": "running"}}
            msg, chan = "HOST_VM_STATE_CHANGED", "orchestrator"
        elif kind == 3:
            body, msg, chan = {"x": i}, "SOMETHING", f"channel-{i}"
        else:
            body, msg, chan = {"host_id": f"ghost-{i}"}, f"HOST_NEW_THING_{i}", "orchestrator"
        yield json.dumps({"id": fid, "event_type": chan, "timestamp": stamp, "message": msg, "body": body},
                         separators=(",", ":"))


def _serve(port_queue, flood: bool) -> None:  # pragma: no cover - runs in the child
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    hosts, vms = json.dumps(_hosts()).encode(), json.dumps(_vms()).encode()

    def process_request(conn, request):
        path = request.path.split("?")[0]
        body = hosts if path.endswith("/orchestrator/hosts") else vms if path.endswith("/orchestrator/machines") else None
        if body is not None:
            return Response(200, "OK", Headers([("Content-Type", "application/json"),
                                                ("Content-Length", str(len(body)))]), body)
        return None

    async def handler(ws):
        await ws.send(json.dumps({"id": "c", "event_type": "global", "timestamp": "2026-12-02T10:00:00Z",
                                  "message": "WebSocket connection established subscribed to global by default",
                                  "body": {"client_id": "flood-client", "subscriptions": ["orchestrator", "global"]}}))
        frames = _frames(flood)
        batch = RATE // 10
        try:
            while flood:
                started = time.monotonic()
                for _ in range(batch):
                    await ws.send(next(frames))
                await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
            await ws.wait_closed()
        except Exception:
            return

    async def main():
        async with serve(handler, "127.0.0.1", 0, process_request=process_request, compression=None,
                         max_size=None) as server:
            port_queue.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


def _peak_rss(pid: int, seconds: float) -> float:
    peak = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            peak = max(peak, rss_bytes(pid))
        except (OSError, ValueError):
            break
        time.sleep(0.25)
    return peak


def _measure(flood: bool, status_s: float, tui_s: float) -> tuple[float, float]:
    import subprocess

    from .ptyrun import PtyRun

    ports: mp.Queue = mp.Queue()
    server = mp.Process(target=_serve, args=(ports, flood), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        env = {**os.environ, "HUBTOP_TOKEN": TOKEN, "HUBTOP_CONFIG": "/nonexistent/hubtop.toml"}
        status = subprocess.Popen([sys.executable, "-m", "tui", "status", "--wait", str(status_s), "--url", url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        status_peak = _peak_rss(status.pid, status_s + 5)
        status.wait(30)
        with PtyRun([sys.executable, "-m", "tui", "--url", url], 120, 40,
                    {**env, "TERM": "xterm-256color"}) as app:
            tui_peak = _peak_rss(app.pid, tui_s)
            app.quit()
    finally:
        server.terminate()
        server.join(5)
    return status_peak, tui_peak


def run(args: argparse.Namespace) -> Result:
    status_s, tui_s = (8.0, 15.0) if args.quick else (30.0, 60.0)
    quiet = _measure(False, 3.0, 5.0)
    flood = _measure(True, status_s, tui_s)
    figures = [
        Figure(f"status --wait {status_s:g}, peak RSS under the flood", mib(flood[0]), f"quiet hub {mib(quiet[0])}",
               f"<= {TARGET_MIB} MiB", flood[0] <= TARGET_MIB * 2**20),
        Figure(f"TUI {tui_s:g} s, peak RSS under the flood", mib(flood[1]), f"quiet hub {mib(quiet[1])}",
               f"<= {TARGET_MIB} MiB", flood[1] <= TARGET_MIB * 2**20),
    ]
    return Result("idflood", TITLE, figures, params=f"up to {RATE:,} frames/s, every id new; 10 x 4 listed")

