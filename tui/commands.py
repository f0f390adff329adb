"""What each ``hubtop`` subcommand does. Imported lazily by :mod:`tui.cli`; only :func:`tui` and :func:`demo`
import Textual."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import json
import os
import sys
from datetime import datetime

from .config import Settings
from .hub.errors import HubError

EXIT_UNKNOWN = 3


def _err(message: str) -> None:
    """One line on stderr; whatever the server put in it is shown, not obeyed."""
    from .protocol.text import clean

    print(f"hubtop: {clean(message, 2000)}", file=sys.stderr, flush=True)


def _quiet_stdout() -> None:
    """The reader of stdout went away (``| head``): point stdout at /dev/null so that nothing more we write,
    nor Python's final flush at exit, fails with a BrokenPipeError ("Exception ignored ...")."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _one_line(raw: str) -> str:
    """A frame as one safe JSON line: line breaks between its tokens dropped, control and format characters
    escaped (the same JSON value)."""
    from .protocol.text import json_line

    return json_line(raw)


# ---------------------------------------------------------------------------- status


async def collect_status(settings: Settings, wait: float = 0.0):
    """Connect, take the snapshot and the confirmation, follow the stream ``wait`` seconds.
    Returns ``(feed, client_id, subscriptions, client, lost)``, ``lost`` the last :class:`Status` when the
    connection was down as the wait ended; raises HubError when the first connect fails."""
    from .cluster import Cluster
    from .feed import Feed
    from .hub.client import HubClient
    from .protocol.items import ConnState

    feed = Feed(Cluster(settings.server_hostname), settings.journal_size)
    client = HubClient(settings, feed, fail_fast=True)
    task = asyncio.create_task(client.run())
    connected = asyncio.create_task(client.wait_connected())
    try:
        await asyncio.wait({task, connected}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises the HubError of the first connect
            raise HubError("the connection ended before the server confirmed it", "protocol")
        client_id, subs = client.client_id, client.subscriptions
        if wait > 0:
            await asyncio.wait({task}, timeout=wait)
            if task.done():
                task.result()
            client_id, subs = client.client_id or client_id, client.subscriptions or subs
        # how the wait ended, before closing changes it: a feed lost and not regained is never OK
        lost = None if client.state == ConnState.CONNECTED else feed.status
        return feed, client_id, subs, client, lost
    finally:
        connected.cancel()
        await client.aclose()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, HubError):
            await task


def _lost(feed, status, settings: Settings) -> list:
    """The reason a ``--wait`` did not see the live stream to its end: the connection was lost and not
    regained. Never OK: the verdict is UNKNOWN unless something worse is known."""
    from .model.verdict import Level, Reason

    if status is None:
        return []
    heard = feed.last_frame_at
    when = datetime.fromtimestamp(status.at).strftime("%H:%M:%S")
    last = f"the hub was last heard at {datetime.fromtimestamp(heard).strftime('%H:%M:%S')}" if heard else \
        "nothing was heard from the hub"
    why = f" ({status.reason})" if status.reason else ""
    return [Reason(Level.UNKNOWN, f"the connection to {settings.display_url} was lost at {when}{why} and not "
                                  f"regained during --wait; {last}")]


def status(settings: Settings, *, as_json: bool = False, wait: float = 0.0) -> int:
    from . import render
    from .model.verdict import verdict
    from .protocol.items import ConnState
    from .protocol.text import clean

    try:
        feed, client_id, subs, client, down = asyncio.run(collect_status(settings, wait))
    except HubError as err:
        _err(str(err))
        return EXIT_UNKNOWN
    last = feed.status
    if last is not None and last.state == ConnState.AUTH_FAILED:
        _err(last.text)
        return EXIT_UNKNOWN
    lost = _lost(feed, down, settings) if wait > 0 else []
    for reason in lost:
        _err(reason.what)
    result = verdict(feed.cluster, lost)
    if as_json:
        doc = render.status_json(feed.cluster, feed.journal, url=settings.display_url, client_id=client_id,
                                 subscriptions=subs, result=result)
        text = json.dumps(doc, indent=2, ensure_ascii=True)
    else:
        c = feed.journal.counters()
        channels = clean(", ".join(subs), 400) or "?"
        if client.unconfirmed:
            channels += " (asked for; the server's confirmation did not arrive)"
        counters = f"events {c['received']}  malformed {c['malformed']}  duplicates {c['duplicates']}"
        if c["late"] or c["suspected_losses"]:
            counters += f"  late {c['late']}  suspected losses {c['suspected_losses']}"
        text = "\n".join([
            render.summary_line(feed.cluster, result),
            *render.reason_lines(result),
            f"server {settings.display_url}  client {clean(client_id or '?', 80)}  channels {channels}",
            "",
            render.status_table(feed.cluster),
            "",
            counters,
        ])
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `hubtop status | head -1`: the reader has what it wanted; the verdict stands
        _quiet_stdout()
    return result.code


# ---------------------------------------------------------------------------- tail

from .protocol.items import Consumer as _Consumer  # noqa: E402 - light (no model, no renderer)


class _TailSink(_Consumer):
    """Writes every event as one JSON line; notes go to stderr. The lines of a burst are written at once,
    with one flush, after the burst: one write for some 150 frames, whatever stdout's buffering is
    (PYTHONUNBUFFERED would make each line a system call). Known hub events come as their frame's text
    (``takes_text``): tail prints the frame, so no event is built for it."""

    takes_text = True

    def __init__(self, client, count: int | None, out, loop: asyncio.AbstractEventLoop) -> None:
        from .hub.parse import Event, Malformed, Note
        from .protocol.items import Loss, Status
        from .protocol.text import json_line

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

    def __call__(self, item) -> None:
        if self.broken:
            return
        cls = item.__class__
        if cls is str or cls is self._Event:
            if self.count is not None and self.written >= self.count:
                return
            lines = self._lines
            if not lines:
                self.loop.call_soon(self._flush)
            lines.append(_one_line(item if cls is str else item.raw))
            self.written += 1
            if self.count is not None and self.written >= self.count:
                self._flush()
                self.loop.create_task(self.client.stop())
            return
        self._flush()  # what came before this goes out first
        if cls is self._Malformed:
            _err(f"malformed frame ({item.reason}): {item.excerpt[:200]}")
        elif cls is self._Note:
            _err(item.text)
        elif cls is self._Loss:
            _err(f"frames may have been lost: a full {item.frames:,}-frame flush arrived (the server drops the "
                 "oldest frames of a full queue)")
        elif cls is self._Status:
            if item.state == "reconnecting":
                if self.down_since is None:
                    self.down_since = item.at
                _err(item.line)
            elif item.state == "connected" and self.down_since is not None:
                a = datetime.fromtimestamp(self.down_since).strftime("%H:%M:%S")
                b = datetime.fromtimestamp(item.at).strftime("%H:%M:%S")
                _err(f"disconnected {a}-{b}; events in between were not received")
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
        _quiet_stdout()
        self.loop.create_task(self.client.stop())


async def _tail(settings: Settings, count: int | None) -> int:
    from . import gcpolicy
    from .hub.client import HubClient

    client = HubClient(settings, None, fail_fast=True, snapshot=False)
    sink = _TailSink(client, count, sys.stdout, asyncio.get_running_loop())
    client.consumer = sink
    # what exists now (modules, classes: most of the process) is never garbage: keep the collector off it
    gcpolicy.settle()
    try:
        await client.run()
    except HubError as err:
        sink._flush()
        _err(str(err))
        return EXIT_UNKNOWN
    finally:
        sink._flush()
        await client.aclose()
    if sink.last_error:
        _err(sink.last_error)
        return EXIT_UNKNOWN
    return 0


def tail(settings: Settings, *, count: int | None = None) -> int:
    if count is not None and count <= 0:
        return 0
    try:
        return asyncio.run(_tail(settings, count))
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        return 130


# ---------------------------------------------------------------------------- simulate / demo / tui


def simulate(args: argparse.Namespace) -> int:
    from .sim import serve

    try:
        # the banner is flushed at once: with stdout on a pipe or a file (`| tee`, `> sim.log`) it would
        # otherwise sit in the buffer while the simulator runs, and nobody would learn its URL and token
        asyncio.run(serve(host=args.host, port=args.port, token=args.token, hosts=args.hosts, vms=args.vms,
                          rate=args.rate, seed=args.seed, one_connection_per_ip=args.one_connection_per_ip,
                          api_key=args.sim_api_key, reorder=args.reorder, frozen=args.frozen,
                          print=functools.partial(print, flush=True)))
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `hubtop simulate | head -2`: the banner's reader went away
        _quiet_stdout()
        return 0
    except OSError as err:
        # asyncio words a failed bind as "error while attempting to bind on address (...): ...": say it once
        reason = os.strerror(err.errno) if isinstance(err.errno, int) and err.errno > 0 else (err.strerror or err)
        hint = "; --port 0 picks a free one" if err.errno == errno.EADDRINUSE else ""
        _err(f"cannot listen on {args.host}:{args.port}: {reason}{hint}")
        return 2
    return 0


def tui(settings: Settings, simulator=None) -> int:
    from .app.app import HubtopApp

    app = HubtopApp(settings)
    app.run()
    return app.return_code or 0


def demo(args: argparse.Namespace) -> int:
    """Start the simulator in a child process on a free loopback port, then the TUI against it."""
    from .config import Secret, Settings, parse_channels
    from .sim import SimulatorProcess

    try:
        channels = parse_channels(args.channels)
    except HubError as err:
        _err(str(err))
        return 2
    sim = SimulatorProcess(hosts=args.hosts, vms=args.vms, rate=args.rate, seed=args.seed)
    try:
        url, token = sim.start()
    except OSError as err:
        _err(f"cannot start the simulator: {err}")
        return 2
    try:
        settings = Settings(url=url, token=Secret(token), channels=channels)
        return tui(settings)
    finally:
        sim.stop()

