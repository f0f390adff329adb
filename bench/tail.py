"""2 · tail: CPU time per event of ``hubtop tail --count N+1`` against ``wscat`` on the same flood.

The flood server (child process) sends the confirmation then N frames and closes, so wscat exits by
itself; hubtop tail gets ``--count N+1`` (the confirmation is an event too). Both write to /dev/null. The
CPU time (user+sys) of each child comes from ``os.wait4`` (the kernel's rusage of exactly that process).
Alternating runs, median of 3. A run with N=0 (the confirmation only) gives each tool's fixed start-up
cost, so the marginal cost per event is shown as well.

wscat is the npm package, installed into bench/.node/ (``npm install --prefix bench/.node wscat``) when
missing; bench/.node/ is not part of the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .common import BENCH_DIR, VENV_BIN, OthersMeter, Result, compile_package, median
from .flood import TOKEN, FloodConfig, FloodServer

NAME = "tail"
TITLE = "hubtop tail CPU per event vs wscat"
NODE_DIR = BENCH_DIR / ".node"
WSCAT = NODE_DIR / "node_modules" / ".bin" / "wscat"


def ensure_wscat() -> Path:
    if WSCAT.exists():
        return WSCAT
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("wscat is not installed and npm is not on PATH; install Node.js (apt-get install npm)")
    print(f"   installing wscat into {NODE_DIR} ...", flush=True)
    subprocess.run([npm, "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "wscat"], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)
    if not WSCAT.exists():
        raise RuntimeError(f"npm install did not produce {WSCAT}")
    return WSCAT


def tool_versions() -> str:
    node = shutil.which("node")
    try:
        node_v = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, TypeError, subprocess.SubprocessError):
        node_v = "?"
    wscat_v = "?"
    pkg = NODE_DIR / "node_modules" / "wscat" / "package.json"
    if pkg.exists():
        import json

        wscat_v = json.loads(pkg.read_text()).get("version", "?")
    return f"node {node_v}, wscat {wscat_v}"


def measure(cmd: list[str], timeout: float, env: dict | None = None, keep_stdin: bool = False) -> dict:
    """Run ``cmd`` with stdout to /dev/null; its own CPU time (os.wait4), wall time and exit status. Without
    PYTHONUNBUFFERED (some shells and sandboxes set it): it makes every write of the Python floors below a system
    call, which is not what a user's tail pays."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=err, env=env,
                                stdin=subprocess.PIPE if keep_stdin else subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.stdin is not None:
            proc.stdin.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {"cpu": usage.ru_utime + usage.ru_stime, "user": usage.ru_utime, "sys": usage.ru_stime, "wall": wall,
            "rc": proc.returncode, "stderr": stderr, "maxrss_kb": usage.ru_maxrss, "timed_out": wall >= timeout}


#: the floor for any Python tail: a bare websockets receive loop that writes each frame as a line
PY_FLOOR = """
import asyncio, sys
from websockets.asyncio.client import connect
async def main(url, token):
    out = sys.stdout
    async with connect(url, compression=None, max_size=16 << 20, max_queue=64, proxy=None,
                       additional_headers={"Authorization": "Bearer " + token}) as ws:
        async for frame in ws:
            out.write(frame)
            out.write("\\n")
    out.flush()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


#: the same floor on aiohttp's WebSocket client (already a hubtop dependency; its frame reader is compiled)
PY_FLOOR_AIOHTTP = """
import asyncio, sys
import aiohttp
async def main(url, token):
    out = sys.stdout
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, headers={"Authorization": "Bearer " + token}, compress=0,
                                      max_msg_size=16 << 20) as ws:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    out.write(msg.data)
                    out.write("\\n")
    out.flush()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def floor_cmd(server: FloodServer, aiohttp: bool = False) -> list[str]:
    return [str(VENV_BIN / "python"), "-c", PY_FLOOR_AIOHTTP if aiohttp else PY_FLOOR, server.ws_url, TOKEN]


def hubtop_cmd(port: int, count: int) -> list[str]:
    return [str(VENV_BIN / "hubtop"), "tail", "--count", str(count), "--url", f"http://127.0.0.1:{port}",
            "--token", TOKEN]


def wscat_cmd(server: FloodServer) -> list[str]:
    # stdin stays an open pipe: wscat exits when its stdin closes
    return [str(WSCAT), "-c", server.ws_url, "-H", f"Authorization: Bearer {TOKEN}"]


def run(args) -> Result:
    n = 50_000 if args.quick else 200_000
    repeats = 1 if args.quick else 3
    ensure_wscat()
    compiled = compile_package()
    result = Result(NAME, TITLE)
    result.params = (f"{n:,} frames + the confirmation per run, stdout to /dev/null, {repeats} alternating runs "
                     f"each, CPU = user+sys of the child (os.wait4), children without PYTHONUNBUFFERED, {compiled}; "
                     f"{tool_versions()}")
    hub, ws, hub_wall, ws_wall, floor, floor_aio = [], [], [], [], [], []
    fixed: dict[str, float] = {}
    problems: list[str] = []
    with FloodServer(FloodConfig(frames=0)) as empty:
        # start-up and connect cost alone: the confirmation, then the server closes
        fixed["hubtop"] = median([measure(hubtop_cmd(empty.port, 1), 30)["cpu"] for _ in range(3)])
        fixed["wscat"] = median([measure(wscat_cmd(empty), 30, keep_stdin=True)["cpu"] for _ in range(3)])
        fixed["floor"] = median([measure(floor_cmd(empty), 30)["cpu"] for _ in range(3)])
        fixed["floor_aio"] = median([measure(floor_cmd(empty, aiohttp=True), 30)["cpu"] for _ in range(3)])
    with FloodServer(FloodConfig(frames=n)) as server:
        others = OthersMeter([server.proc.pid]).start()
        for _ in range(repeats):
            a = measure(wscat_cmd(server), 120, keep_stdin=True)
            b = measure(hubtop_cmd(server.port, n + 1), 120)
            c = measure(floor_cmd(server), 120)
            floor.append(c["cpu"])
            d = measure(floor_cmd(server, aiohttp=True), 120)
            floor_aio.append(d["cpu"])
            for label, r in (("wscat", a), ("hubtop tail", b), ("python floor", c), ("aiohttp floor", d)):
                if r["rc"] != 0 or r["timed_out"]:
                    problems.append(f"{label} exit {r['rc']}{' (timed out)' if r['timed_out'] else ''}: "
                                    f"{r['stderr'].strip()[-300:]}")
            ws.append(a["cpu"])
            ws_wall.append(a["wall"])
            hub.append(b["cpu"])
            hub_wall.append(b["wall"])
        others.stop()
        flooded = server.flooded.value
        stderr_sample = b["stderr"].strip().splitlines()
    if flooded < repeats * 4 * n:
        problems.append(f"the server finished only {flooded:,} of {repeats * 4 * n:,} frames")
    h, w = median(hub), median(ws)
    per_h, per_w = h / (n + 1) * 1e6, w / (n + 1) * 1e6
    ratio = per_h / per_w
    result.add("hubtop tail CPU per event", f"{per_h:.2f} µs ({h:.2f} s CPU)", f"wscat {per_w:.2f} µs ({w:.2f} s CPU)",
               "<= 1.0x wscat", ratio <= 1.0)
    result.add("ratio hubtop / wscat", f"{ratio:.2f}x")
    mh = (h - fixed["hubtop"]) / n * 1e6
    mw = (w - fixed["wscat"]) / n * 1e6
    result.add("marginal CPU per event (minus start-up)", f"{mh:.2f} µs = {mh / mw:.2f}x", f"wscat {mw:.2f} µs")
    result.add("start-up + connect CPU", f"{fixed['hubtop'] * 1000:.0f} ms", f"wscat {fixed['wscat'] * 1000:.0f} ms")
    fl = median(floor)
    result.add("python floor: bare websockets loop writing lines", f"{fl / (n + 1) * 1e6:.2f} µs per event "
               f"(marginal {(fl - fixed['floor']) / n * 1e6:.2f} µs, start-up {fixed['floor'] * 1000:.0f} ms)",
               "what any Python tail on websockets costs at least")
    fa = median(floor_aio)
    result.add("python floor on aiohttp's WebSocket client", f"{fa / (n + 1) * 1e6:.2f} µs per event (marginal "
               f"{(fa - fixed['floor_aio']) / n * 1e6:.2f} µs, start-up {fixed['floor_aio'] * 1000:.0f} ms)",
               "the same loop on a compiled frame reader")
    result.add("wall time per run (median)", f"{median(hub_wall):.2f} s = {n / median(hub_wall):,.0f} ev/s",
               f"wscat {median(ws_wall):.2f} s = {n / median(ws_wall):,.0f} ev/s")
    result.add("all runs, CPU s", "hubtop " + ", ".join(f"{x:.2f}" for x in hub), "wscat " + ", ".join(f"{x:.2f}" for x in ws))
    result.note(others.text())
    if stderr_sample:
        result.note(f"hubtop tail stderr (expected: the --token warning): {stderr_sample[0][:200]}")
    for p in problems:
        result.note("PROBLEM: " + p)
    if args.profile:
        result.note(profile_tail(n))
    return result


def profile_tail(n: int) -> str:
    """Run hubtop tail once more under pyinstrument (in a child: ``python -m pyinstrument``)."""
    with FloodServer(FloodConfig(frames=n)) as server, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tail.pyisession"
        cmd = [str(VENV_BIN / "python"), "-m", "pyinstrument", "-i", "0.0005", "-r", "pyisession", "-o", str(out),
               "-m", "tui", *hubtop_cmd(server.port, n + 1)[1:]]
        measure(cmd, 300)
        from pyinstrument.session import Session

        from .profiling import top_functions

        return "hubtop tail under pyinstrument:\n" + top_functions(Session.load(str(out)), 20)
