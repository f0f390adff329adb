"""``hubtop tail``: every event as one safe JSON line on stdout, notes on stderr (``--raw`` and ``--enrich``: see
:mod:`.tail_modes`)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import datetime

from ..protocol.errors import HubError
from ..protocol.items import Consumer
from ..settings import Settings
from .common import EXIT_UNKNOWN, quiet_stdout, tell


def _one_line(raw: str) -> str:
    """A frame as one safe JSON line: line breaks between its tokens dropped, control and format characters
    escaped (the same JSON value)."""
    from ..protocol.text import json_line

    return json_line(raw)


class _TailSink(Consumer):
    """Writes every event as one JSON line; notes go to stderr. The lines of a burst are written at once,
    with one flush, after the burst: one write for some 150 frames, whatever stdout's buffering is
    (PYTHONUNBUFFERED would make each line a system call). Known hub events come as their frame's text
    (``takes_text``): tail prints the frame, so no event is built for it."""

    takes_text = True

    def __init__(self, client, count: int | None, out, loop: asyncio.AbstractEventLoop) -> None:
        from ..protocol.items import Loss, Status
        from ..protocol.parse import Event, Malformed, Note
        from ..protocol.text import json_line

        self._Event, self._Malformed, self._Note, self._Status = Event, Malformed, Note, Status
        self._Loss = Loss
        self._json_line = json_line
        self.client = client
        self.count = count
        self.out = out
        self.loop = loop
        self.written = 0
        self.down_since: float | None = None
        self.broken = False
        self._lines: list[str] = []
        self.last_error: str | None = None

    def deliver(self, items) -> None:
        self.many(items)

    def many(self, items: list) -> None:
        """A burst (the frames of one read): the frames' texts straight into the lines while ``--count`` is
        not near; everything else (and the event that reaches the count) one by one."""
        if self.broken:
            return
        lines = self._lines
        if not lines:
            self.loop.call_soon(self._flush)
        json_line = self._json_line
        last = None if self.count is None else self.count - 1  # the count-th event stops the client
        for item in items:
            if item.__class__ is str and (last is None or self.written < last):
                lines.append(json_line(item))
                self.written += 1
            else:
                self(item)

    def line(self, item) -> str:
        """The line of an event (a frame's text, or an :class:`Event`)."""
        return _one_line(item if item.__class__ is str else item.raw)

    def emit_line(self, line: str) -> None:
        """One line to stdout (with the burst's others); the ``--count``-th stops the client."""
        if self.count is not None and self.written >= self.count:
            return
        lines = self._lines
        if not lines:
            self.loop.call_soon(self._flush)
        lines.append(line)
        self.written += 1
        if self.count is not None and self.written >= self.count:
            self._flush()
            self.loop.create_task(self.client.stop())

    def __call__(self, item) -> None:
        if self.broken:
            return
        cls = item.__class__
        if cls is str or cls is self._Event:
            self.emit_line(self.line(item))
            return
        self._flush()  # what came before this goes out first
        if cls is self._Malformed:
            tell(f"malformed frame ({item.reason}): {item.excerpt[:200]}")
        elif cls is self._Note:
            tell(item.text)
        elif cls is self._Loss:
            tell(f"frames may have been lost: a full {item.frames:,}-frame flush arrived (the server drops the "
                 "oldest frames of a full queue)")
        elif cls is self._Status:
            if item.state == "reconnecting":
                if self.down_since is None:
                    self.down_since = item.at
                tell(item.line)
            elif item.state == "connected" and self.down_since is not None:
                a = datetime.fromtimestamp(self.down_since).strftime("%H:%M:%S")
                b = datetime.fromtimestamp(item.at).strftime("%H:%M:%S")
                tell(f"disconnected {a}-{b}; events in between were not received")
                self.down_since = None
            elif item.state in ("auth_failed", "stopped") and item.error is not None:
                self.last_error = item.text

    def _flush(self) -> None:
        lines = self._lines
        if not lines or self.broken:
            lines.clear()
            return
        lines.append("")
        text = "\n".join(lines)
        lines.clear()
        try:
            self.out.write(text)
            self.out.flush()
        except (BrokenPipeError, ValueError):
            self._broken()

    def _broken(self) -> None:
        self.broken = True
        quiet_stdout()
        self.loop.create_task(self.client.stop())


def make_sink(mode: str, client, count: int | None, loop: asyncio.AbstractEventLoop, out=None) -> _TailSink:
    """The sink of a ``tail`` mode: ``events`` (every event's frame), ``raw`` (every JSON object frame as
    received) or ``enrich`` (events with the model's host and VM names; a feed runs beside)."""
    out = sys.stdout if out is None else out
    if mode == "events":
        return _TailSink(client, count, out, loop)
    from .tail_modes import EnrichSink, RawSink

    return (RawSink if mode == "raw" else EnrichSink)(client, count, out, loop)


async def _tail(settings: Settings, count: int | None, mode: str = "events") -> int:
    from ..live.tuning import tuned
    from ..transport.client import HubClient

    client = HubClient(settings, None, fail_fast=True, snapshot=mode == "enrich")
    sink = make_sink(mode, client, count, asyncio.get_running_loop())
    client.consumer = sink
    with tuned() as tuning:
        # what exists now (modules, classes: most of the process) is never garbage: keep the collector off it
        tuning.settle()
        try:
            await client.run()
        except HubError as err:
            sink._flush()
            tell(str(err))
            return EXIT_UNKNOWN
        finally:
            sink._flush()
            await client.aclose()
    if sink.last_error:
        tell(sink.last_error)
        return EXIT_UNKNOWN
    return 0


def tail(settings: Settings, *, count: int | None = None, mode: str = "events") -> int:
    if count is not None and count <= 0:
        return 0
    try:
        return asyncio.run(_tail(settings, count, mode))
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        return 130
