"""``hubtop replay FILE [tui|status|tail|exporter]``: a recording fed through the same model as live.

A :class:`~tui.live.replay.ReplaySource` delivers what the hub client delivered, with the recorded arrival
times, to the view's own consumer: the TUI's monitor, ``status``'s feed (its verdict at the end, or at
``--to``), ``tail``'s sink (lines from ``--from`` on; the model before it is applied at once), the exporter's
feed (ages told by the recorded clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from ..protocol.errors import HubError
from ..protocol.items import Consumer
from .common import EXIT_UNKNOWN, tell


def _moments(args: argparse.Namespace) -> tuple[float | None, float | None]:
    from ..live.replay import first_moment, parse_moment

    first = first_moment(args.file) if args.start or args.end else None
    out = []
    for flag, text in (("--from", args.start), ("--to", args.end)):
        if not text:
            out.append(None)
            continue
        try:
            out.append(parse_moment(text, first))
        except (ValueError, OverflowError):
            raise HubError(f"{flag} wants +SECONDS, HH:MM[:SS] or an ISO 8601 time, not {text!r}", "config") from None
    return out[0], out[1]


def replay(args: argparse.Namespace) -> int:
    from ..live.replay import read_header

    try:
        head = read_header(args.file)
        start, end = _moments(args)
    except HubError as err:
        tell(str(err))
        return EXIT_UNKNOWN if args.view == "status" else 2
    given = getattr(args, "speed", None)
    speed = None if given == "max" or (given is None and args.view == "status") else (given or 1.0)
    url = str(head.get("url") or "")
    options = {"speed": speed, "start": start, "end": end}
    try:
        if args.view == "status":
            return asyncio.run(_status(args, options, url))
        if args.view == "tail":
            return asyncio.run(_tail(args, options))
        if args.view == "exporter":
            from .exporter import check_options

            problem = check_options(args)
            if problem:
                tell(problem)
                return 2
            return asyncio.run(_exporter(args, options, url))
        return _tui(args, options, url)
    except KeyboardInterrupt:
        return 130


async def _status(args: argparse.Namespace, options: dict[str, Any], url: str) -> int:
    from ..live.feed import Feed
    from ..live.replay import ReplaySource
    from ..model.verdict import Level, Reason, verdict
    from ..protocol.items import ConnState
    from .status import show

    feed = Feed()
    source = ReplaySource(args.file, feed, **options)
    await source.run()
    last = source.last_status
    lost = []
    if last is not None and last.state != ConnState.CONNECTED and (last.state != ConnState.STOPPED or source.failed):
        lost = [Reason(Level.UNKNOWN, f"the recording's connection was {last.state} at its end ({last.line})",
                       since=last.at)]
    where = f"replay of {Path(args.file).name}" + (f" (recorded from {url})" if url else "")
    return show(feed, verdict(feed.cluster, lost), url=where, client_id=source.client_id, subs=source.subscriptions,
                as_json=args.json, now=source.clock)


class _Gate(Consumer):
    """Before ``--from``, the items reach only the model (``--enrich``'s feed), not stdout."""

    def __init__(self, sink: Any, source: Any) -> None:
        self.sink, self.source = sink, source
        self.takes_text = sink.takes_text
        self.takes_bad_frames = getattr(sink, "takes_bad_frames", False)

    def deliver(self, items) -> None:
        if self.source.catching_up:
            feed = getattr(self.sink, "feed", None)
            if feed is not None:
                feed.deliver(items)
            return
        self.sink.deliver(items)


async def _tail(args: argparse.Namespace, options: dict[str, Any]) -> int:
    from ..live.replay import ReplaySource
    from .tail import make_sink

    source = ReplaySource(args.file, None, **options)
    mode = "raw" if args.raw else "enrich" if args.enrich else "events"
    sink = make_sink(mode, source, args.count, asyncio.get_running_loop())
    source.consumer = _Gate(sink, source)
    try:
        await source.run()
    finally:
        sink._flush()
    return 0


async def _exporter(args: argparse.Namespace, options: dict[str, Any], url: str) -> int:
    from ..live.metrics import CountingFeed
    from ..live.replay import ReplaySource
    from .exporter import serve_metrics

    feed = CountingFeed()
    source = ReplaySource(args.file, feed, linger=not args.once, **options)

    async def finished() -> None:
        while not source.finished:
            await asyncio.sleep(0.05)

    return await serve_metrics(feed, source, args, url=url or f"replay of {Path(args.file).name}",
                               clock=lambda: source.clock or time.time(), ready=finished)


def _tui(args: argparse.Namespace, options: dict[str, Any], url: str) -> int:
    from ..app.app import HubtopApp
    from ..live.replay import ReplaySource
    from ..settings import Settings

    settings = Settings()
    with contextlib.suppress(Exception):
        settings = Settings(url=url) if url else settings

    def source(feed: Any) -> ReplaySource:
        return ReplaySource(args.file, feed, linger=True, **options)

    app = HubtopApp(settings, source=source)
    app.run()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return app.return_code or 0
