"""Replay a recording (:mod:`.recording`) as a hub client would deliver it.

:class:`ReplaySource` stands where a :class:`~tui.transport.client.HubClient` stands: ``run()`` delivers to one
:class:`~tui.protocol.items.Consumer` the recorded snapshots as :class:`Snapshot` items, every frame through
:func:`~tui.protocol.parse.parse_frame` with its recorded arrival time (a burst at a time, as read), the
connection's statuses, losses and notes, in the recorded order: a :class:`~tui.live.feed.Feed` fed by it ends
where the live one did. ``speed`` paces it by the recorded times (``None``: as fast as it goes); ``start``
replays what came before that moment at once (the model is right when the paced part begins) and
``catching_up`` says so meanwhile; ``end`` stops at that moment. ``clock`` is the recorded time of the last
item replayed; :meth:`pause` and :meth:`resume` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import threading
import time
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from ..protocol.errors import HubError
from ..protocol.items import ConnState, Consumer, Loss, Note, Status, as_consumer
from ..protocol.parse import Malformed, known_event, parse_frame
from ..transport.frames import BadFrame
from .recording import FORMAT, open_read, read_snapshot

#: at full speed, hand the loop back this often (seconds): a pause, a stop or a scrape gets in
YIELD_S = 0.005
#: notes about unreadable lines, at most
MAX_LINE_NOTES = 5


def read_header(path: str | Path) -> dict[str, Any]:
    """The header of a recording; :class:`HubError` (one line) when ``path`` is not one."""
    where = str(path)
    try:
        with open_read(path) as fh:
            first = fh.readline()
    except FileNotFoundError:
        raise HubError(f"{where}: no such file", "config") from None
    except (OSError, EOFError, zlib.error) as err:
        raise HubError(f"cannot read {where}: {getattr(err, 'strerror', None) or err}", "config") from None
    try:
        head = json.loads(first)
    except ValueError:
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise HubError(f"{where} is not a hubtop recording (made by `hubtop record` or the TUI's export)", "config")
    return head


def first_moment(path: str | Path) -> float | None:
    """The recorded time of the first item after the header (for ``--from 10:02`` on the recording's day)."""
    with open_read(path) as fh:
        fh.readline()
        for line in fh:
            try:
                at = json.loads(line).get("at")
            except (ValueError, AttributeError):
                continue
            if isinstance(at, int | float):
                return float(at)
    return None


def parse_moment(text: str, first: float | None) -> float:
    """A moment of a recording: ``+SECONDS`` after its first item, ``HH:MM[:SS]`` on the day of its first item
    (local time), or an ISO 8601 date and time (local time unless it names a zone). ``ValueError`` otherwise."""
    text = text.strip()
    if text.startswith("+"):
        offset = float(text[1:])
        if offset != offset or offset < 0:
            raise ValueError(text)
        return (first or 0.0) + offset
    if len(text) <= 8 and ":" in text:
        parts = [int(p) for p in text.split(":")]
        if len(parts) not in (2, 3) or not (0 <= parts[0] < 24 and 0 <= parts[1] < 60) or \
                (len(parts) == 3 and not 0 <= parts[2] < 61):
            raise ValueError(text)
        day = datetime.fromtimestamp(first if first is not None else time.time())
        return day.replace(hour=parts[0], minute=parts[1], second=parts[2] if len(parts) == 3 else 0,
                           microsecond=0).timestamp()
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    return moment.timestamp()


class ReplaySource:
    """A recording played back to a consumer, with the parts of a hub client's face that its users call."""

    def __init__(self, path: str | Path, consumer: Consumer | Any = None, *, speed: float | None = 1.0,
                 start: float | None = None, end: float | None = None, linger: bool = False) -> None:
        if speed is not None and not speed > 0:
            raise ValueError("speed must be above 0 (None: as fast as it goes)")
        self.path = Path(path)
        self.header = read_header(path)
        self.consumer: Consumer = as_consumer(consumer)
        self.speed = speed
        self.start, self.end = start, end
        #: stay (idle) at the end of the recording until stop(): a screen keeps showing where it ended
        self.linger = linger
        self.url = str(self.header.get("url") or "")
        channels = self.header.get("channels")
        self.channels: tuple[str, ...] = tuple(str(c) for c in channels) if isinstance(channels, list) else ()
        self.client_id: str | None = None
        self.subscriptions: tuple[str, ...] = ()
        self.unconfirmed = False
        self.state: ConnState | str = ConnState.IDLE
        self.connections = 0
        #: the recorded time of the last item replayed (``None`` before the first)
        self.clock: float | None = None
        self.frames = 0
        self.finished = False
        self.catching_up = start is not None
        self._paused = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._connected = threading.Event()
        self._base: tuple[float, float] | None = None  # (loop time, recorded time) the pacing counts from
        self._bad_lines = 0
        self.last_status: Status | None = None
        #: the last recorded state is a failure's (not a stop that was asked for)
        self.failed = False

    # ------------------------------------------------------------------ control (any thread)

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()
        self._poke()

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    # ------------------------------------------------------------------ a hub client's face

    async def stop(self) -> None:
        self._stopping = True
        self._poke()

    async def aclose(self) -> None:
        await self.stop()

    async def wait_connected(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._connected.is_set() and not self.finished:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError
            await asyncio.sleep(0.01)

    async def set_channels(self, channels: Any) -> None:
        self._emit(Note("a replay shows the channels that were recorded; they cannot be changed", "info"))

    async def reconnect_now(self) -> None:
        self._emit(Note("a replay does not reconnect", "info"))

    def _emit(self, item: Any) -> None:
        self.consumer.deliver((item,))

    # ------------------------------------------------------------------ playing

    async def run(self) -> None:
        """Deliver the recording (paced by ``speed``), then end, or with ``linger`` wait for :meth:`stop`."""
        self._loop = loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            with open_read(self.path) as fh:
                await self._play(fh, loop)
        except (OSError, EOFError, zlib.error) as err:
            self._emit(Note(f"the recording ends early: {getattr(err, 'strerror', None) or err} (cut off?)",
                            "warning"))
        self.finished = True
        self._connected.set()
        if not self._stopping:
            when = f" at {datetime.fromtimestamp(self.clock).strftime('%H:%M:%S')}" if self.clock else ""
            self.state = ConnState.STOPPED
            self._emit(Status(ConnState.STOPPED, f"end of the recording{when} ({self.frames:,} frames)",
                              client_id=self.client_id, subscriptions=self.subscriptions,
                              at=self.clock or time.time()))
        while self.linger and not self._stopping:
            self._wake.clear()
            await self._wake.wait()

    async def _play(self, fh: Any, loop: asyncio.AbstractEventLoop) -> None:
        consumer = self.consumer
        deliver = consumer.deliver
        takes_text = consumer.takes_text
        bad_frames = getattr(consumer, "takes_bad_frames", False)
        loads = json.loads
        start, end, speed = self.start, self.end, self.speed
        yielded = loop.time()
        fh.readline()  # the header
        number = 1
        for line in fh:
            number += 1
            if self._stopping:
                return
            try:
                rec = loads(line)
                kind = rec["k"]
                at = rec["at"]
            except (ValueError, KeyError, TypeError):
                self._bad_line(number, line)
                continue
            if at.__class__ is not float:
                at = float(at) if isinstance(at, int) else None
            if at is not None:
                if end is not None and at > end:
                    return
                if self.catching_up and at >= start:  # type: ignore[operator]
                    self.catching_up = False
                    self._base = None
                if self._paused.is_set() or (speed is not None and not self.catching_up):
                    await self._pace(at, loop)
                    if self._stopping:
                        return
                    yielded = loop.time()
                elif loop.time() - yielded > YIELD_S:
                    await asyncio.sleep(0)
                    yielded = loop.time()
                self.clock = at
            if kind == "frames":
                texts = rec["frames"]
                if not takes_text and not bad_frames:  # a model's feed (the common case): one pass in C
                    items = [parse_frame(text, at) for text in texts]
                    self.frames += len(items)
                    deliver(items)
                    continue
                items = []
                for text in texts:
                    if takes_text and known_event(text):
                        items.append(text)
                        continue
                    item = parse_frame(text, at)
                    if bad_frames and item.__class__ is Malformed:
                        item = _bad_frame(item, text)
                    items.append(item)
                self.frames += len(items)
                deliver(items)
            else:
                self._other(kind, rec, at, number, line)

    def _other(self, kind: str, rec: dict[str, Any], at: float | None, number: int, line: str) -> None:
        stamp = at if at is not None else time.time()
        if kind == "snapshot":
            if rec.get("rotation") and self._connected.is_set():
                return  # parts joined (cat): the model already is where this listing says
            self._emit(read_snapshot(rec))
            self._connected.set()
        elif kind == "status":
            state = str(rec.get("state") or "")
            try:
                state = ConnState(state)
            except ValueError:
                pass
            self.state = state
            if state == ConnState.CONNECTED:
                self.connections += 1
            if rec.get("client_id"):
                self.client_id = str(rec["client_id"])
            if isinstance(rec.get("subscriptions"), list):
                self.subscriptions = tuple(str(s) for s in rec["subscriptions"])
            #: the last state recorded (the end of the replay is not one)
            self.last_status = Status(state, str(rec.get("text") or state), reason=str(rec.get("reason") or ""),
                                      at=stamp, client_id=self.client_id, subscriptions=self.subscriptions)
            self.failed = bool(rec.get("error"))
            self._emit(self.last_status)
        elif kind == "loss":
            self._emit(Loss(int(rec.get("frames") or 0), at=stamp))
        elif kind == "note":
            self._emit(Note(str(rec.get("text") or ""), str(rec.get("level") or "info"), received_at=stamp))
        elif kind == "malformed":
            self.frames += 1
            self._emit(Malformed(str(rec.get("reason") or ""), str(rec.get("excerpt") or ""),
                                 int(rec.get("size") or 0), stamp))
        elif kind == "binary":
            try:
                data = base64.b64decode(str(rec.get("data") or ""), validate=True)
            except (binascii.Error, ValueError):
                self._bad_line(number, line)
                return
            self.frames += 1
            item = parse_frame(data, stamp)
            self._emit(_bad_frame(item, data) if getattr(self.consumer, "takes_bad_frames", False) else item)
        elif kind != "header":  # a later part's header (parts joined with cat) says nothing new
            self._bad_line(number, line)

    def _bad_line(self, number: int, line: str) -> None:
        self._bad_lines += 1
        if self._bad_lines <= MAX_LINE_NOTES:
            more = "; further ones are skipped silently" if self._bad_lines == MAX_LINE_NOTES else ""
            self._emit(Note(f"line {number} of the recording is not a record hubtop knows: skipped{more}",
                            "warning", received_at=self.clock or time.time()))

    async def _pace(self, at: float, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until the recorded moment ``at`` is due (``speed`` recorded seconds a second), and while paused."""
        wake = self._wake
        assert wake is not None
        while not self._stopping:
            if self._paused.is_set():
                wake.clear()
                if self._paused.is_set() and not self._stopping:
                    await wake.wait()
                self._base = None  # the clock goes on from where it stood
                continue
            if self.speed is None or self.catching_up:
                return
            if self._base is None:
                self._base = (loop.time(), self.clock if self.clock is not None and self.clock <= at else at)
            wall, recorded = self._base
            delay = wall + (at - recorded) / self.speed - loop.time()
            if delay <= 0:
                return
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), delay)
            except TimeoutError:
                return


def _bad_frame(item: Any, data: str | bytes) -> Any:
    return BadFrame(item, data) if item.__class__ is Malformed else item
