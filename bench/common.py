"""Shared pieces: results and their table, RESULTS.md entries, machine facts, statistics, /proc readings."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
PACKAGES = ("textual", "rich", "websockets", "pydantic", "pydantic-core", "aiohttp", "httpx")
PAGE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One measured figure. ``ok`` is None when the figure has no target (context only)."""

    name: str
    value: str
    baseline: str = ""
    target: str = ""
    ok: bool | None = None


@dataclass
class Result:
    bench: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    params: str = ""
    seconds: float = 0.0

    def add(self, name: str, value: str, baseline: str = "", target: str = "", ok: bool | None = None) -> Figure:
        fig = Figure(name, value, baseline, target, ok)
        self.figures.append(fig)
        return fig

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def passed(self) -> bool | None:
        verdicts = [f.ok for f in self.figures if f.ok is not None]
        return all(verdicts) if verdicts else None


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "FAIL")


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(header)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    for r in rows:
        out.append("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(out)


def print_result(result: Result) -> None:
    print()
    print(f"== {result.bench}: {result.title}")
    if result.params:
        print(f"   {result.params}")
    rows = [(f.name, f.value, f.baseline, f.target, verdict(f.ok)) for f in result.figures]
    print(table(rows, ("figure", "value", "baseline (same run)", "target", "")))
    for n in result.notes:
        print(f"   note: {n}")
    overall = result.passed
    tail = "" if overall is None else ("all targets met" if overall else "TARGETS NOT MET")
    print(f"   ({result.seconds:.1f} s) {tail}")
    sys.stdout.flush()


# ----------------------------------------------------------------------------- machine and RESULTS.md


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def machine_line() -> str:
    pkgs = ", ".join(f"{k} {v}" for k, v in versions().items())
    return (f"{platform.machine()}, nproc {os.cpu_count()}, {mem_total_gib():.0f} GiB, "
            f"Python {platform.python_version()}; {pkgs}")


def mem_total_gib() -> float:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "tui"], capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return rev + (" (tui/ has uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def record(results: Iterable[Result], argv: Sequence[str], extra_machine: str = "") -> None:
    """Append one dated entry per result to bench/RESULTS.md."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_line() + (f"; {extra_machine}" if extra_machine else "")
    chunks = []
    for r in results:
        overall = r.passed
        head = f"### {stamp} — {r.bench}: " + ("PASS" if overall else "FAIL" if overall is not None else "-")
        lines = [
            head,
            "",
            f"- command: `python -m bench {' '.join(argv)}`; code at {git_rev()}",
            f"- machine: {machine}",
        ]
        if r.params:
            lines.append(f"- run: {r.params} ({r.seconds:.0f} s)")
        lines += [
            "",
            "| figure | value | baseline (same run) | target | pass |",
            "|---|---|---|---|---|",
        ]
        for f in r.figures:
            cells = [c.replace("|", "\\|") for c in (f.name, f.value, f.baseline, f.target, verdict(f.ok))]
            lines.append("| " + " | ".join(cells) + " |")
        for n in r.notes:
            lines.append(f"\n- {n}" if n is r.notes[0] else f"- {n}")
        chunks.append("\n".join(lines) + "\n")
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `python -m bench NAME --record`; newest last. "
                           "See README.md for what each figure means.\n")
    with RESULTS.open("a", encoding="utf-8") as fh:
        for c in chunks:
            fh.write("\n" + c)


# ----------------------------------------------------------------------------- statistics


def compile_package() -> str:
    """Byte-compile hubtop's sources, as ``pip install`` does for a user. A checkout installed in editable
    mode has no bytecode until Python writes it, and a machine with PYTHONDONTWRITEBYTECODE (this one) never
    does: every start of a hubtop child would compile its modules from source again (10-25 ms here)."""
    import compileall

    compileall.compile_dir(str(ROOT / "tui"), quiet=2)
    return "hubtop's modules byte-compiled first, as an install does"


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks; ``p`` in 0..100."""
    if not values:
        return float("nan")
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def lat_summary(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return (f"p50 {percentile(values, 50) * 1000:.1f} / p95 {percentile(values, 95) * 1000:.1f} / "
            f"p99 {percentile(values, 99) * 1000:.1f} / max {max(values) * 1000:.1f} ms (n={len(values)})")


# ----------------------------------------------------------------------------- /proc


def rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MiB"


def cpu_seconds(pid: int | str = "self", tid: int | None = None) -> float:
    """user+sys CPU seconds of a process (or one of its threads) from /proc."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    try:
        with open(path) as fh:
            data = fh.read()
    except OSError:
        return float("nan")
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class CpuMeter:
    """CPU seconds used between start() and stop(), by a process or thread, as a share of wall time."""

    def __init__(self, pid: int | str = "self", tid: int | None = None) -> None:
        self.pid, self.tid = pid, tid
        self.cpu0 = self.t0 = 0.0
        self.cpu = self.wall = 0.0

    def start(self) -> CpuMeter:
        self.cpu0, self.t0 = cpu_seconds(self.pid, self.tid), time.perf_counter()
        return self

    def stop(self) -> CpuMeter:
        self.cpu = cpu_seconds(self.pid, self.tid) - self.cpu0
        self.wall = time.perf_counter() - self.t0
        return self

    @property
    def share(self) -> float:
        return self.cpu / self.wall if self.wall else float("nan")


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _system_busy() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        parts = fh.readline().split()[1:]
    vals = [int(x) for x in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / CLK_TCK


class OthersMeter:
    """How busy the rest of the machine was (other people's tests, builds) while a benchmark ran: busy CPU
    of the whole machine minus that of this process and the given child pids, in cores."""

    def __init__(self, pids: Iterable[int] = ()) -> None:
        self.pids = list(pids)
        self.busy0 = self.ours0 = self.t0 = 0.0
        self.cores = float("nan")

    def _ours(self) -> float:
        import resource

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # children already waited for (tools under test)
        total = cpu_seconds("self") + kids.ru_utime + kids.ru_stime
        for pid in self.pids:
            c = cpu_seconds(pid)
            if c == c:  # not NaN (the process may be gone)
                total += c
        return total

    def start(self) -> OthersMeter:
        self.busy0, self.ours0, self.t0 = _system_busy(), self._ours(), time.perf_counter()
        return self

    def stop(self) -> OthersMeter:
        wall = time.perf_counter() - self.t0
        others = (_system_busy() - self.busy0) - (self._ours() - self.ours0)
        self.cores = max(0.0, others / wall) if wall else float("nan")
        return self

    def text(self) -> str:
        return (f"other processes on the machine used {self.cores:.2f} of {os.cpu_count()} cores during the run"
                + (" (a noisy run: compare ratios, not absolute figures)" if self.cores > 0.25 else ""))


class GcMeter:
    """Time spent in the cyclic garbage collector (all threads of this process), per generation."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.max_pause = [0.0, 0.0, 0.0]
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            d = time.perf_counter() - self._t0
            g = info.get("generation", 2)
            self.count[g] += 1
            self.seconds[g] += d
            self.max_pause[g] = max(self.max_pause[g], d)

    def start(self) -> GcMeter:
        import gc

        gc.callbacks.append(self._callback)
        return self

    def stop(self) -> GcMeter:
        import gc

        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
        return self

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def text(self, wall: float | None = None) -> str:
        share = f" = {self.total / wall:.0%} of the run" if wall else ""
        parts = [f"gen{g} x{self.count[g]}" + (f" (max {self.max_pause[g] * 1000:.0f} ms)" if self.count[g] else "")
                 for g in (2, 1, 0)]
        return f"{self.total * 1000:,.0f} ms{share}; " + ", ".join(parts)
