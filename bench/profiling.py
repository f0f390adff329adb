"""A pyinstrument profile reduced to the functions that cost the most (self time and total time)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .common import ROOT


def _where(frame) -> str:
    path = frame.file_path or ""
    try:
        path = str(Path(path).resolve().relative_to(ROOT))
    except (ValueError, OSError):
        if "site-packages/" in path:
            path = path.split("site-packages/", 1)[1]
        elif "/lib/python" in path:
            path = "stdlib/" + path.rsplit("/", 1)[-1]
    return f"{frame.function} ({path}:{frame.line_no})"


def top_functions(session, n: int = 15) -> str:
    """Self time and inclusive time per function (recursion counted once), as a text table."""
    root = session.root_frame()
    if root is None:
        return "(no samples)"
    self_t: dict[str, float] = defaultdict(float)
    total_t: dict[str, float] = defaultdict(float)

    def walk(frame, stack: set[str]) -> None:
        key = _where(frame)
        self_t[key] += frame.total_self_time
        if key not in stack:
            total_t[key] += frame.time
        inner = stack | {key}
        for child in frame.children:
            if not child.is_synthetic:
                walk(child, inner)

    walk(root, set())
    wall = root.time or 1.0
    lines = [f"profile: {wall:.2f} s sampled", "  self%  total%  function"]
    for key, t in sorted(self_t.items(), key=lambda kv: -kv[1])[:n]:
        lines.append(f"  {100 * t / wall:5.1f}  {100 * total_t[key] / wall:6.1f}  {key}")
    return "\n".join(lines)


def profiler():
    from pyinstrument import Profiler

    return Profiler(interval=0.0005, async_mode="disabled")


# ----------------------------------------------------------------------------- py-spy (all threads)


def py_spy_path() -> str | None:
    """py-spy from $BENCH_PY_SPY, PATH, or a ``pip install --target /tmp/pyspy py-spy``."""
    import os
    import shutil

    for cand in (os.environ.get("BENCH_PY_SPY"), shutil.which("py-spy"), "/tmp/pyspy/bin/py-spy"):
        if cand and os.path.exists(cand):
            return cand
    return None


class PySpy:
    """Samples this process (every thread) with py-spy for ``seconds``; with ``gil=True`` only the thread that
    holds the GIL is sampled, so the shares say who keeps the interpreter busy."""

    def __init__(self, seconds: float, gil: bool = True, rate: int = 250) -> None:
        import os
        import tempfile

        self.exe = py_spy_path()
        self.seconds = seconds
        self.gil = gil
        self.rate = rate
        fd, self.out = tempfile.mkstemp(prefix="bench-pyspy-", suffix=".txt")
        os.close(fd)
        self.proc = None

    def start(self) -> bool:
        import os
        import subprocess

        if self.exe is None:
            return False
        cmd = [self.exe, "record", "--pid", str(os.getpid()), "--duration", str(max(1, int(self.seconds))),
               "--rate", str(self.rate), "--threads", "--nonblocking", "--format", "raw", "-o", self.out]
        if self.gil:
            cmd.append("--gil")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return True

    def report(self, n: int = 12) -> str:
        import os
        import re

        if self.proc is None:
            return "(py-spy not found: pip install --target /tmp/pyspy py-spy, or set BENCH_PY_SPY)"
        try:
            _, err = self.proc.communicate(timeout=self.seconds + 30)
        except Exception:
            self.proc.kill()
            return "(py-spy did not finish)"
        if not os.path.exists(self.out) or os.path.getsize(self.out) == 0:
            return f"(py-spy wrote nothing: {err.decode(errors='replace').strip()[-200:]})"
        strip = re.compile(r":\d+\)")
        by_thread: dict[str, int] = defaultdict(int)
        selfs: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        incl: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        total = 0
        with open(self.out) as fh:
            for line in fh:
                stack, _, count = line.rstrip("\n").rpartition(" ")
                if not count.isdigit():
                    continue
                c = int(count)
                frames = stack.split(";")
                thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread") else "?"
                frames = [strip.sub(")", f) for f in frames[1:]] or ["?"]
                total += c
                by_thread[thread] += c
                selfs[thread][frames[-1]] += c
                for f in set(frames):
                    incl[thread][f] += c
        os.unlink(self.out)
        if not total:
            return "(no samples)"
        what = "samples holding the GIL" if self.gil else "samples"
        lines = [f"py-spy, {self.seconds:g} s, {total} {what}; by thread: " +
                 ", ".join(f"{t} {100 * c / total:.0f}%" for t, c in sorted(by_thread.items(), key=lambda kv: -kv[1]))]
        for thread, c in sorted(by_thread.items(), key=lambda kv: -kv[1]):
            if c < total * 0.05:
                continue
            lines.append(f"  [{thread}] top functions by self time (% of all samples; inclusive %):")
            for f, sc in sorted(selfs[thread].items(), key=lambda kv: -kv[1])[:n]:
                lines.append(f"    {100 * sc / total:5.1f} ({100 * incl[thread][f] / total:5.1f})  {f}")
            heavy = sorted(((v, f) for f, v in incl[thread].items() if "tui/" in f or "tui." in f), reverse=True)
            if heavy:
                lines.append("    hubtop frames by inclusive time: " +
                             ", ".join(f"{f.split(' (')[0]} {100 * v / total:.0f}%" for v, f in heavy[:8]))
        return "\n".join(lines)
