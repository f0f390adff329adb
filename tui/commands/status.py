"""``hubtop status``: the snapshot (and the live stream for ``--wait`` seconds), a verdict, a table or JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from ..protocol.errors import HubError
from ..settings import Settings
from .common import EXIT_UNKNOWN, quiet_stdout, stop_client, tell


async def collect_status(settings: Settings, wait: float = 0.0):
    """Connect, take the snapshot and the confirmation, follow the stream ``wait`` seconds.
    Returns ``(feed, client_id, subscriptions, client, lost)``, ``lost`` the last :class:`Status` when the
    connection was down as the wait ended; raises HubError when the first connect fails."""
    from ..live.feed import Feed
    from ..model.cluster import Cluster
    from ..protocol.items import ConnState
    from ..transport.client import HubClient

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
        await stop_client(client, task)


def _lost(feed, status, settings: Settings) -> list:
    """The reason a ``--wait`` did not see the live stream to its end: the connection was lost and not
    regained. Never OK: the verdict is UNKNOWN unless something worse is known."""
    from ..model.verdict import Level, Reason

    if status is None:
        return []
    heard = feed.last_frame_at
    when = datetime.fromtimestamp(status.at).strftime("%H:%M:%S")
    last = f"the hub was last heard at {datetime.fromtimestamp(heard).strftime('%H:%M:%S')}" if heard else \
        "nothing was heard from the hub"
    why = f" ({status.reason})" if status.reason else ""
    return [Reason(Level.UNKNOWN, f"the connection to {settings.display_url} was lost at {when}{why} and not "
                                  f"regained during --wait; {last}", since=status.at)]


def status(settings: Settings, *, as_json: bool = False, wait: float = 0.0) -> int:
    from ..model.verdict import verdict
    from ..protocol.items import ConnState

    try:
        feed, client_id, subs, client, down = asyncio.run(collect_status(settings, wait))
    except HubError as err:
        tell(str(err))
        return EXIT_UNKNOWN
    last = feed.status
    if last is not None and last.state == ConnState.AUTH_FAILED:
        tell(last.text)
        return EXIT_UNKNOWN
    lost = _lost(feed, down, settings) if wait > 0 else []
    for reason in lost:
        tell(reason.what)
    result = verdict(feed.cluster, lost)
    return show(feed, result, url=settings.display_url, client_id=client_id, subs=subs,
                unconfirmed=client.unconfirmed, as_json=as_json)


def show(feed, result, *, url: str, client_id: str | None, subs, unconfirmed: bool = False, as_json: bool = False,
         now: float | None = None) -> int:
    """Print the verdict, the reasons and the table (or the JSON) of ``feed``'s model; returns the exit code.
    ``now``: the moment ages are told from (a replay's recorded clock)."""
    from ..protocol.text import clean
    from . import report as render

    if as_json:
        doc = render.status_json(feed.cluster, feed.journal, url=url, client_id=client_id,
                                 subscriptions=subs, result=result, now=now)
        text = json.dumps(doc, indent=2, ensure_ascii=True)
    else:
        c = feed.journal.counters()
        channels = clean(", ".join(subs), 400) or "?"
        if unconfirmed:
            channels += " (asked for; the server's confirmation did not arrive)"
        counters = f"events {c['received']}  malformed {c['malformed']}  duplicates {c['duplicates']}"
        if c["late"] or c["suspected_losses"]:
            counters += f"  late {c['late']}  suspected losses {c['suspected_losses']}"
        text = "\n".join([
            render.summary_line(feed.cluster, result),
            *render.reason_lines(result, now),
            f"server {clean(url, 400)}  client {clean(client_id or '?', 80)}  channels {channels}",
            "",
            render.status_table(feed.cluster, now),
            "",
            counters,
        ])
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `hubtop status | head -1`: the reader has what it wanted; the verdict stands
        quiet_stdout()
    return result.code
