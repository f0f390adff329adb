"""hubtop itself in a real pseudo-terminal, as a person runs it: its bytes to the terminal read as they come,
keys written to it, signals sent to it, and the terminal's settings read back after it has gone."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time


class PtyApp:
    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        cols, rows = size
        pid, fd = pty.fork()
        if pid == 0:  # the child: its terminal sized before hubtop starts, then hubtop
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(sys.executable, [sys.executable, "-m", "tui", *args], env)
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self._lock = threading.Lock()
        self.returncode: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the child's side closed
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def seen(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def wait_for(self, needle: bytes, timeout: float = 20.0, since: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen()[since:]:
            if time.monotonic() > deadline:
                tail = self.seen()[-600:]
                raise AssertionError(f"{needle!r} not written within {timeout} s; the last bytes: {tail!r}")
            if self.poll() is not None:
                raise AssertionError(f"hubtop exited ({self.returncode}) before writing {needle!r}")
            time.sleep(0.05)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("hubtop did not exit")
            time.sleep(0.05)
        self._reader.join(2)
        return self.returncode  # type: ignore[return-value]

    def terminal_modes(self) -> list:
        """The terminal's settings now (the pair shares them: read through this side)."""
        return termios.tcgetattr(self.fd)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def close(self) -> None:
        if self.poll() is None:
            self.kill()
        with contextlib.suppress(OSError):
            os.close(self.fd)
