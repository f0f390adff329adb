"""The simulator in a child process: what ``hubtop demo`` runs beside the TUI.

A child process (``hubtop simulate --port 0``) has its own interpreter, so generating 20,000 events a
second uses the machine's other core instead of competing with the TUI for one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """On Linux, have the kernel end the simulator if hubtop itself dies without stopping it."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_URL = re.compile(r"hubtop simulator on (\S+)")
_TOKEN = re.compile(r"^token: (\S+)")


class SimulatorProcess:
    """``start()`` launches the simulator on a free loopback port and returns ``(url, token)`` once it
    listens; ``stop()`` ends it."""

    def __init__(self, hosts: int = 12, vms: int = 8, rate: float = 0.0, seed: int | None = None,
                 host: str = "127.0.0.1", *, reorder: bool = True, frozen: bool = False) -> None:
        self.args = [sys.executable, "-m", "tui", "simulate", "--host", host, "--port", "0",
                     "--hosts", str(hosts), "--vms", str(vms), "--rate", str(rate)]
        if seed is not None:
            self.args += ["--seed", str(seed)]
        if not reorder:
            self.args.append("--no-reorder")
        if frozen:
            self.args.append("--frozen")
        self.proc: subprocess.Popen | None = None
        self.banner: list[str] = []

    def start(self, timeout: float = 30.0) -> tuple[str, str]:
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        found: dict[str, str] = {}

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.banner.append(line.rstrip())
                if m := _URL.search(line):
                    found["url"] = m.group(1)
                if m := _TOKEN.search(line):
                    found["token"] = m.group(1)
                if "url" in found and "token" in found:
                    break
            # keep draining what the child prints so it never blocks on a full pipe
            threading.Thread(target=self._drain, daemon=True).start()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if "url" not in found or "token" not in found:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                err = self.proc.stderr.read().strip().splitlines()[-1:] or ""
                err = err[0] if err else ""
            self.stop()
            raise OSError(err.removeprefix("hubtop: ") or "the simulator did not start")
        return found["url"], found["token"]

    def _drain(self) -> None:
        proc = self.proc
        if proc is not None and proc.stdout is not None:
            for _ in proc.stdout:
                pass

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
