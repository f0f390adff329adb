"""``hubtop exporter``: a long-running Prometheus exporter of the hub, its hosts and VMs, and hubtop's own feed.

The metrics are built at scrape time from the model (:class:`~tui.live.metrics.HubCollector`), served on
``--listen`` by ``prometheus_client``'s HTTP server (its own thread: a scrape reads under the feed's lock) and/or
written to ``--textfile`` every ``--interval`` (atomically: a temporary file renamed over it). It stays up
through hub outages (``hubtop_up 0``); it ends on Ctrl-C or SIGTERM (exit 0), and when the server refuses the
credentials (exit 3). Our queue depth at the hub is asked for (``GET /ws/clients``) every ``--interval`` while
the server allows it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import Any

from ..protocol.errors import HubError
from ..settings import Settings
from .common import EXIT_UNKNOWN, tell


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:9464``, ``[::1]:9464``, ``:9464`` (every address) -> (address, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(text)
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host or "0.0.0.0", int(port)


def check_options(args: argparse.Namespace) -> str | None:
    """Why the exporter options cannot work together (``None`` when they can)."""
    if not args.listen and not args.textfile:
        return "give --listen ADDR:PORT, --textfile PATH, or both"
    if args.once and not args.textfile:
        return "--once writes --textfile once: give --textfile"
    if args.listen:
        try:
            parse_listen(args.listen)
        except ValueError:
            return f"--listen wants ADDR:PORT (e.g. 127.0.0.1:9464), not {args.listen!r}"
    return None


class QueueDepth:
    """Our queue depth at the hub, asked for every ``interval`` while the server allows it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.value: int | None = None
        self.allowed = True

    async def poll(self, interval: float) -> None:
        while self.allowed:
            await self.once()
            await asyncio.sleep(interval)

    async def once(self) -> None:
        client_id = self.client.client_id
        if client_id is None:
            self.value = None
            return
        try:
            rows = await self.client.rest.ws_clients()
        except HubError as err:
            if err.kind in ("auth", "forbidden", "not_found"):
                self.allowed = False
                self.value = None
                tell(f"the hub does not let hubtop read /ws/clients ({err}); hubtop_queue_depth is left out")
            return
        mine = next((row for row in rows if row.get("id") == client_id), None)
        depth = mine.get("queue_depth") if mine is not None else None
        self.value = int(depth) if isinstance(depth, int | float) and not isinstance(depth, bool) else None


def _write(path: str, registry: Any) -> None:
    from prometheus_client import write_to_textfile

    write_to_textfile(path, registry)


async def serve_metrics(feed: Any, source: Any, args: argparse.Namespace, *, url: str,
                        clock: Callable[[], float] | None = None, depth: QueueDepth | None = None,
                        ready: Callable[[], Any] | None = None) -> int:
    """Run ``source`` (a hub client or a replay feeding ``feed``) and export until it ends or a signal comes."""
    import time

    from .. import __version__
    from ..live.metrics import HubCollector, registry_for

    collector = HubCollector(feed, source, max_hosts=args.max_hosts, url=url, clock=clock or time.time,
                             queue_depth=(lambda: depth.value) if depth is not None else (lambda: None),
                             version=__version__)
    registry = registry_for(collector)
    server = None
    if args.listen:
        host, port = parse_listen(args.listen)
        from prometheus_client import start_http_server

        try:
            server, _ = start_http_server(port, addr=host, registry=registry)
        except OSError as err:
            tell(f"cannot listen on {args.listen}: {err.strerror or err}")
            return 2
        tell(f"serving metrics on http://{args.listen}/metrics")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(source.run())
    stopper = asyncio.create_task(stop.wait())
    poller = asyncio.create_task(depth.poll(args.interval)) if depth is not None else None
    try:
        if args.once:
            waiter = asyncio.create_task(ready() if ready is not None else source.wait_connected())
            await asyncio.wait({task, waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if depth is not None:
                await depth.once()
            if not task.done() or ready is not None:
                _write(args.textfile, registry)
                return 0
        while not task.done() and not stop.is_set():
            if args.textfile:
                try:
                    _write(args.textfile, registry)
                except OSError as err:
                    tell(f"cannot write {args.textfile}: {err.strerror or err}")
                    return 2
            await asyncio.wait({task, stopper}, timeout=args.interval, return_when=asyncio.FIRST_COMPLETED)
        if task.done() and not stop.is_set():
            task.result()
            status = feed.status
            if status is not None and status.error is not None:
                tell(status.text)
                return EXIT_UNKNOWN
        return 0
    finally:
        for t in (stopper, poller):
            if t is not None:
                t.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await source.aclose()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, HubError):
            await task
        if server is not None:
            server.shutdown()
            server.server_close()


async def _exporter(settings: Settings, args: argparse.Namespace) -> int:
    from ..live.metrics import CountingFeed
    from ..model.cluster import Cluster
    from ..protocol.items import ConnState, Status
    from ..transport.client import HubClient

    class Told(CountingFeed):
        """The feed, with reconnects told on stderr (a daemon's log)."""

        def deliver(self, items) -> None:
            super().deliver(items)
            for item in items:
                if item.__class__ is Status and item.state == ConnState.RECONNECTING:
                    tell(item.line)

    feed = Told(Cluster(settings.server_hostname), settings.journal_size)
    client = HubClient(settings, feed, fail_fast=args.once)  # --once: a first connect that fails is the answer
    client.ping_ids = True  # the pong's ref_id is our ping's id: the round trip is timed exactly
    return await serve_metrics(feed, client, args, url=settings.display_url, depth=QueueDepth(client))


def exporter(settings: Settings, args: argparse.Namespace) -> int:
    problem = check_options(args)
    if problem:
        tell(problem)
        return 2
    try:
        return asyncio.run(_exporter(settings, args))
    except HubError as err:
        tell(str(err))
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        return 0
