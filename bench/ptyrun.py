"""A program in a pseudo-terminal of a given size, as a user runs it: every byte it writes is counted.

``PtyRun(cmd, cols, rows, env)`` opens a pty (``pty.openpty``), sets its size (``TIOCSWINSZ``) before the
program starts, and starts the program in its own session with the pty's slave as its controlling terminal and
as its stdin, stdout and stderr. A reader thread reads the master side until the program has gone and counts
the bytes (all of them: what the program writes to stdout or stderr reaches the terminal alike). Nothing
answers the program's terminal queries (a terminal emulator would answer some; Textual goes on without).

CPU: utime + stime of the program's process from ``/proc/<pid>/stat`` (the kernel sums every thread of the
process into it), read at the start and the end of a window. ``quit()`` types the program's quit key, waits for
it to exit, and ends its process group (by the group's id, the program's pid) if anything of it is left.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from dataclasses import dataclass

from .common import cpu_seconds
from .termstream import plain


@dataclass
class Window:
    """One measured window: bytes written to the terminal and CPU used by the program."""

    seconds: float
    bytes: int
    writes: int  # reads of the master that returned data (about one per frame the program writes)
    cpu: float

    @property
    def bytes_per_s(self) -> float:
        return self.bytes / self.seconds

    @property
    def cpu_share(self) -> float:
        return self.cpu / self.seconds

    @property
    def writes_per_s(self) -> float:
        return self.writes / self.seconds


def _controlling_tty() -> None:  # pragma: no cover - runs in the child between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyRun:
    """``with PtyRun([...], 160, 50, env) as run: run.measure(10.0); run.quit(b"q")``"""

    def __init__(self, cmd: list[str], cols: int, rows: int, env: dict[str, str], cwd: str | None = None) -> None:
        self.cmd, self.cols, self.rows, self.env, self.cwd = cmd, cols, rows, env, cwd
        self.proc: subprocess.Popen | None = None
        self.master = -1
        self.total = 0
        self.writes = 0
        self._lock = threading.Lock()
        self._capture: bytearray | None = None
        self._last = b""  # the last bytes written, to explain a failed start
        self._expect: re.Pattern | None = None
        self.seen_at: float | None = None  # when the text given to expect() was first written
        self._reader: threading.Thread | None = None
        self.left_behind: int | None = None  # processes of its group still there after quit (None: not checked)
        self.exit_code: int | None = None
        self.quit_s: float | None = None

    # ------------------------------------------------------------------ start and read

    def start(self) -> PtyRun:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        try:
            self.proc = subprocess.Popen(self.cmd, stdin=slave, stdout=slave, stderr=slave, env=self.env, cwd=self.cwd,
                                         start_new_session=True, preexec_fn=_controlling_tty, close_fds=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # the program holds its own copies; EIO on the master once they are all closed
        self.master = master
        self._reader = threading.Thread(target=self._read, name="bench-pty-reader", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: every slave descriptor is closed (the program has gone)
                break
            if not data:
                break
            with self._lock:
                self.total += len(data)
                self.writes += 1
                if self._capture is not None:
                    self._capture += data
                # the whole chunk (a first paint is tens of KB) and a little before it (a title cut in two)
                if (self._expect is not None and self.seen_at is None
                        and self._expect.search(plain(self._last[-256:] + data))):
                    self.seen_at = time.perf_counter()
                self._last = (self._last + data)[-4096:]

    def expect(self, pattern: str) -> None:
        """Watch the output (escape sequences removed) for ``pattern``; ``seen_at`` is set when it shows."""
        with self._lock:
            self._expect, self.seen_at = re.compile(pattern), None

    def counters(self) -> tuple[int, int]:
        with self._lock:
            return self.total, self.writes

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    # ------------------------------------------------------------------ measure

    def measure(self, seconds: float, capture: bool = False) -> tuple[Window, bytes]:
        """Bytes and CPU over the next ``seconds``; with ``capture``, also the bytes themselves."""
        with self._lock:
            b0, w0 = self.total, self.writes
            self._capture = bytearray() if capture else None
        c0, t0 = self.cpu(), time.perf_counter()
        time.sleep(seconds)
        c1, t1 = self.cpu(), time.perf_counter()
        with self._lock:
            b1, w1 = self.total, self.writes
            data, self._capture = bytes(self._capture or b""), None
        if not self.alive():
            raise RuntimeError(f"{self.cmd[0]} exited during the measurement (code {self.proc.returncode})")
        return Window(t1 - t0, b1 - b0, w1 - w0, c1 - c0), data

    def wait_calm(self, most: float, least_s: float, timeout: float, window: float = 0.5) -> bool:
        """Wait at least ``least_s``, then until the program used less than ``most`` of a core over ``window``
        seconds (a start-up or a snapshot is CPU-bound); False when it never did within ``timeout``. Raises when
        the program exited."""
        t0 = time.perf_counter()
        time.sleep(least_s)
        while time.perf_counter() - t0 < timeout:
            c0 = self.cpu()
            time.sleep(window)
            if not self.alive():
                raise RuntimeError(f"{self.cmd[0]} exited during its start-up (code {self.proc.returncode}); "
                                   f"its last output: {self.tail_text()!r}")
            if (self.cpu() - c0) / window < most:
                return True
        return False

    def tail_text(self, n: int = 400) -> str:
        """The printable end of what the program wrote (escape sequences removed), to explain a failed start."""
        with self._lock:
            text = plain(self._last)
        return " ".join(text.split())[-n:]

    # ------------------------------------------------------------------ stop

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def quit(self, keys: bytes = b"q", timeout: float = 5.0) -> None:
        """Type ``keys``, wait for the program to exit, then make sure nothing of its process group is left."""
        if self.proc is None:
            return
        t0 = time.perf_counter()
        if self.alive():
            try:
                self.type(keys)
                self.proc.wait(timeout)
                self.quit_s = time.perf_counter() - t0
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.close()

    def close(self) -> None:
        """End whatever is left of the program's process group (SIGTERM, then SIGKILL), reap, close the pty."""
        if self.proc is None:
            return
        pgid = self.proc.pid  # start_new_session: the program leads its own group
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not self._group_alive(pgid):
                break
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.2)
        if self.proc.poll() is None:
            self.proc.wait(5)
        self.exit_code = self.proc.returncode
        self.left_behind = len(self._group_members(pgid))
        if self._reader is not None:
            self._reader.join(3)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    @staticmethod
    def _group_members(pgid: int) -> list[int]:
        """Live processes (not zombies) whose process group is ``pgid``."""
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as fh:
                    data = fh.read()
            except OSError:
                continue
            fields = data[data.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(name))
        return out

    def _group_alive(self, pgid: int) -> bool:
        return bool(self._group_members(pgid)) or self.proc.poll() is None

    def __enter__(self) -> PtyRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
