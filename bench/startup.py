"""7 · startup: ``hubtop --help`` and ``hubtop status`` wall time, and that neither imports Textual.

Each command runs 10 times as a subprocess (``.venv/bin/hubtop``, stdout to /dev/null), interleaved with
the baseline ``python -c pass`` (the same interpreter), medians reported. ``status`` runs against the
embedded simulator (its default world, 12 hosts x 8 VMs, in a child process) with the token in
HUBTOP_TOKEN. ``python -X importtime -m tui ...`` lists every module each command imports: none may be
``textual``; the slowest imports are shown.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

from .common import VENV_BIN, OthersMeter, Result, compile_package, median, ms
from .simproc import SimProcess

NAME = "startup"
TITLE = "hubtop --help and hubtop status wall time; no Textual import"
T_HELP, T_STATUS = 0.150, 0.500


def wall(cmd: list[str], env: dict | None = None, timeout: float = 30.0) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=timeout)
    return time.perf_counter() - t0, proc.returncode


def import_times(args: list[str], env: dict | None = None) -> tuple[list[str], list[tuple[int, str]], int]:
    """(modules imported, [(cumulative µs, top-level package)] slowest first, total µs) from -X importtime."""
    proc = subprocess.run([str(VENV_BIN / "python"), "-X", "importtime", "-m", "tui", *args], capture_output=True,
                          text=True, env=env, timeout=60)
    modules: list[str] = []
    tops: list[tuple[int, str]] = []
    pat = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
    for line in proc.stderr.splitlines():
        m = pat.match(line)
        if not m:
            continue
        cumulative, indent, name = int(m.group(2)), len(m.group(3)), m.group(4)
        modules.append(name)
        if indent <= 1:
            tops.append((cumulative, name))
    total = sum(c for c, _ in tops)
    return modules, sorted(tops, reverse=True), total


def run(args) -> Result:
    n = 5 if args.quick else 10
    compiled = compile_package()
    result = Result(NAME, TITLE)
    hubtop = str(VENV_BIN / "hubtop")
    python = str(VENV_BIN / "python")
    with SimProcess(hosts=12, vms=8, rate=0, seed=7) as sim:
        env = {**os.environ, "HUBTOP_TOKEN": sim.token, "HUBTOP_URL": sim.url}
        env.pop("HUBTOP_CONFIG", None)
        env["XDG_CONFIG_HOME"] = "/nonexistent-hubtop-bench"  # no user config file in the way
        others = OthersMeter([sim.proc.pid]).start()
        # warm the page cache and .pyc files once, not measured
        wall([python, "-c", "pass"])
        wall([hubtop, "--help"], env)
        wall([hubtop, "status"], env)
        base, helps, status, codes = [], [], [], set()
        for _ in range(n):
            base.append(wall([python, "-c", "pass"])[0])
            helps.append(wall([hubtop, "--help"], env)[0])
            t, rc = wall([hubtop, "status"], env)
            status.append(t)
            codes.add(rc)
        others.stop()
        mods_help, tops_help, total_help = import_times(["--help"], env)
        mods_status, tops_status, total_status = import_times(["status"], env)
    result.params = (f"median of {n} interleaved runs each; status against the simulator (12 hosts x 8 VMs); "
                     f"{compiled}")
    b = median(base)
    h, s = median(helps), median(status)
    result.add("hubtop --help", f"{ms(h)} (interpreter start excluded: {ms(h - b)})", f"python -c pass {ms(b)}",
               f"<= {T_HELP * 1000:.0f} ms", h <= T_HELP)
    result.add("hubtop status", f"{ms(s)} (exit codes {sorted(codes)})", f"python -c pass {ms(b)}",
               f"<= {T_STATUS * 1000:.0f} ms", s <= T_STATUS and codes <= {0, 1, 2})
    tx_help = sorted({m for m in mods_help if m.split(".")[0] == "textual"})
    tx_status = sorted({m for m in mods_status if m.split(".")[0] == "textual"})
    result.add("textual imported by --help", f"{len(tx_help)} modules" + (f" ({', '.join(tx_help[:3])} ...)" if tx_help else ""),
               f"{len(mods_help)} modules in all", "none", not tx_help)
    result.add("textual imported by status", f"{len(tx_status)} modules" + (f" ({', '.join(tx_status[:3])} ...)" if tx_status else ""),
               f"{len(mods_status)} modules in all", "none", not tx_status)
    result.add("imports, --help (importtime total)", f"{total_help / 1000:.0f} ms: " +
               ", ".join(f"{name} {c / 1000:.0f}" for c, name in tops_help[:5]))
    result.add("imports, status (importtime total)", f"{total_status / 1000:.0f} ms: " +
               ", ".join(f"{name} {c / 1000:.0f}" for c, name in tops_status[:6]))
    if codes - {0, 1, 2}:
        result.note(f"PROBLEM: hubtop status exited with {sorted(codes)} (3 = could not connect)")
    result.note(others.text())
    return result
