"""``hubtop record FILE``: the snapshot and every frame with its arrival time, for ``hubtop replay``.

The format is :mod:`tui.live.recording`'s. A model runs beside the recorder (:class:`~tui.live.recorder.Recorder`):
the resyncs it asks for are taken and recorded like any listing, and a rotated part begins with its listing.
Notes (reconnects, suspected losses, malformed frames) go to stderr as ``tail`` words them; a last line says
what was written.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from ..protocol.errors import HubError
from ..settings import Settings
from .common import EXIT_UNKNOWN, stop_client, tell

MB = 1_000_000


async def _record(settings: Settings, args: argparse.Namespace) -> int:
    from ..live.feed import Feed
    from ..live.recorder import Recorder, RecordingWriter
    from ..model.cluster import Cluster
    from ..protocol.items import ConnState, Loss, Status
    from ..transport.client import HubClient

    rotate = int(args.rotate_mb * MB) if args.rotate_mb else None
    try:
        writer = RecordingWriter(args.file, url=settings.display_url, channels=settings.channels, rotate_bytes=rotate)
    except FileExistsError:
        tell(f"{args.file} exists; a recording is never written over (choose another name)")
        return 2
    except OSError as err:
        tell(f"cannot write {args.file}: {err.strerror or err}")
        return 2
    feed = Feed(Cluster(settings.server_hostname), settings.journal_size)
    stop = asyncio.Event()
    count = args.count

    class Notes(Recorder):
        """The recorder, telling stderr what ``tail`` tells it, and stopping at ``--count`` frames."""

        def deliver(self, items) -> None:
            super().deliver(items)
            for item in items:
                cls = item.__class__
                if cls is Status and item.state == ConnState.RECONNECTING:
                    tell(item.line)
                elif cls is Loss:
                    tell(f"frames may have been lost: a full {item.frames:,}-frame flush arrived; resyncing")
            if count is not None and writer.frames >= count:
                stop.set()

    recorder = Notes(writer, feed)
    client = HubClient(settings, recorder, fail_fast=True)
    task = asyncio.create_task(client.run())
    stopper = asyncio.create_task(stop.wait())
    started = time.monotonic()
    code = 0
    try:
        await asyncio.wait({task, stopper}, timeout=args.duration, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
            status = feed.status
            if status is not None and status.state == ConnState.AUTH_FAILED or status is not None and status.error:
                tell(status.text)
                code = EXIT_UNKNOWN
    except HubError as err:
        tell(str(err))
        code = EXIT_UNKNOWN
    finally:
        stopper.cancel()
        await stop_client(client, task)
        writer.close()
        parts = f" in {len(writer.paths)} parts ({writer.paths[0]} ... {writer.paths[-1]})" \
            if len(writer.paths) > 1 else f" to {writer.paths[0]}"
        tell(f"recorded {writer.frames:,} frames{parts} in {time.monotonic() - started:.0f} s")
    return code


def record(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_record(settings, args))
    except KeyboardInterrupt:  # the file was closed on the way out: it is complete
        return 130
