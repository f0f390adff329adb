"""The client side of a test: settings that fail fast, a recording sink, a client run for a block, a client
feeding a :class:`~tui.live.feed.Feed`, and what to check of a feed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from kit.hub import API_KEY, PASSWORD, TOKEN, HubServer
from kit.wait import wait_until
from kit.wire import HOST_A, HOST_B, frame
from tui.live.feed import Feed
from tui.model.cluster import Cluster
from tui.model.journal import Gap
from tui.protocol.errors import HubError
from tui.protocol.parse import Event, Malformed, Note
from tui.settings import SecretStr, Settings
from tui.transport.client import HubClient, Snapshot, Status


def fast_settings(url: str, **kw: Any) -> Settings:
    """Settings with small timeouts and backoff so a client test runs in a fraction of a second."""
    values: dict[str, Any] = dict(url=url, token=SecretStr(TOKEN), timeout=1.0, ping_interval=30.0,
                                  pong_timeout=0.5, backoff_base=0.02, backoff_cap=0.1)
    values.update(kw)
    return Settings(**values)


class Collector:
    """A HubClient sink that keeps every item, with typed views and an async wait."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __call__(self, item: Any) -> None:
        self.items.append(item)

    def of(self, cls: type) -> list[Any]:
        return [i for i in self.items if isinstance(i, cls)]

    @property
    def events(self) -> list[Event]:
        return self.of(Event)

    @property
    def malformed(self) -> list[Malformed]:
        return self.of(Malformed)

    @property
    def notes(self) -> list[Note]:
        return self.of(Note)

    @property
    def statuses(self) -> list[Status]:
        return self.of(Status)

    @property
    def snapshots(self) -> list[Snapshot]:
        return self.of(Snapshot)

    @property
    def connections(self) -> int:
        """How many times the client got connected (its "connected" statuses)."""
        return sum(1 for s in self.statuses if s.state == "connected")

    def states(self) -> list[str]:
        return [s.state for s in self.statuses]

    async def wait(self, predicate: Callable[[Collector], Any], timeout: float = 5.0, what: str = "items") -> Any:
        return await wait_until(lambda: predicate(self), timeout, what)


class Tee:
    """A sink that hands every item to each of ``sinks`` (e.g. a Feed and a Collector), one at a time."""

    def __init__(self, *sinks: Callable[[Any], Any]) -> None:
        self.sinks = sinks

    def __call__(self, item: Any) -> None:
        for sink in self.sinks:
            sink(item)


@contextlib.asynccontextmanager
async def running(client: HubClient) -> AsyncIterator[asyncio.Task]:
    """Run ``client.run()`` as a task for the block; stop it (and fail on a hang) afterwards."""
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        await client.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), 5)
        except TimeoutError:
            task.cancel()
            raise AssertionError("the client did not stop within 5 s of stop()") from None
        except (HubError, asyncio.CancelledError):
            pass  # a test that expects these awaits the task itself
        finally:
            with contextlib.suppress(BaseException):
                await client.rest.aclose()


@contextlib.asynccontextmanager
async def feeding(settings: Settings, *, collect: bool = True) -> AsyncIterator[
        tuple[HubClient, Feed, Collector | None]]:
    """A HubClient feeding a Feed (a cluster and a journal), running for the block: ``(client, feed, collector)``.

    ``collect`` (the default): the client's sink is a :class:`Tee` of the feed and a :class:`Collector`, so a
    test sees every item, statuses included; items reach the feed one at a time, and the model's own requests for
    a resync are not heard (a tee is a plain function). ``collect=False``: the feed itself takes the client's
    items, as in the app (a burst at a time, resyncs the model asks for included); ``collector`` is ``None``.
    """
    feed = Feed(Cluster(settings.server_hostname))
    collector = Collector() if collect else None
    client = HubClient(settings, Tee(feed, collector) if collector is not None else feed)
    async with running(client):
        yield client, feed, collector


def client_for(url: str, sink: Collector, **kw) -> HubClient:
    """A HubClient for ``url`` with :func:`fast_settings` (``kw``: settings, and ``fail_fast``) and ``sink``."""
    fail_fast = kw.pop("fail_fast", False)
    return HubClient(fast_settings(url, **kw), sink, fail_fast=fail_fast)


async def snapshot_taken(hub: HubServer, n: int) -> None:
    """Wait until the server has answered ``n`` host listings (the client is past the confirmation)."""
    await wait_until(lambda: sum(1 for _, p, _ in hub.requests if p.endswith("/orchestrator/hosts")) >= n,
                     what=f"snapshot {n}")


def no_secret(text: str) -> None:
    """``text`` holds none of the hub's secrets (:mod:`kit.hub`)."""
    for secret in (TOKEN, PASSWORD, API_KEY):
        assert secret not in text


def connected(feed: Feed, snapshots: int = 1) -> bool:
    """The feed is connected and has taken at least ``snapshots`` snapshots (one per connection)."""
    return feed.status is not None and feed.status.state == "connected" and feed.snapshots >= snapshots


def gaps(feed: Feed) -> list[Gap]:
    return [e for e in feed.journal if isinstance(e, Gap)]


#: a gap row's text: the outage, its reason, and how many changes the resync found
GAP_TEXT = re.compile(r"^disconnected (\d\d):(\d\d):(\d\d)-(\d\d):(\d\d):(\d\d)(?: \(.*\))?, resynced: (\d+) changes?$")


def check_gap_text(gap: Gap) -> int:
    """The gap's text has the expected form; returns the number of changes it names."""
    match = GAP_TEXT.match(gap.text)
    assert match, gap.text
    assert gap.started <= gap.ended
    return int(match.group(7))


def counters_add_up(feed: Feed) -> dict:
    """Every frame received is counted once: applied, malformed, a duplicate or late. Returns the counters."""
    c = feed.journal.counters()
    assert c["received"] == c["applied"] + c["malformed"] + c["duplicates"] + c["late"]
    return c


#: a backoff that retries within a fraction of a second and never waits long (the default waits up to 30 s)
SMALL_BACKOFF = {"backoff_base": 0.05, "backoff_cap": 0.2}


# ------------------------------------------------------------------------------------------------ a feed's rate


class FakeClock:
    """A clock a test moves by hand (``clock.t += 1``)."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def stats_event() -> Event:
    return Event(id="", event_type="stats", message="DISK_SPACE_CHANGED", timestamp="", body={"free": 1}, raw="{}")


def drive(feed: Feed, clock: FakeClock, per_second: int, seconds: int) -> None:
    """``per_second`` stats events a second into ``feed`` for ``seconds`` seconds of ``clock``."""
    for _ in range(seconds):
        for _ in range(per_second):
            feed.handle(stats_event())
        clock.t += 1.0


# ------------------------------------------------------------------------------------------------ nothing lost


def sequence() -> list[str | bytes]:
    """What a server sends: valid events, duplicates (repeated ids), garbage text and binary, ending valid."""
    out: list[str | bytes] = []
    valid: list[str] = []
    for i in range(120):
        host = HOST_A if i % 2 else HOST_B
        text = frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": host, "state": ("healthy", "unhealthy")[i % 3 % 2]},
                     id=f"ev-{i:04d}")
        valid.append(text)
        out.append(text)
        if i % 9 == 4:
            out.append(valid[i // 2])  # a duplicate of an earlier frame
        if i % 7 == 3:
            out.append(f"garbage {i} {{")
        if i % 11 == 5:
            out.append(bytes([0, 255, i % 256]))
    out.append(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}, id="ev-last"))
    return out


def expected_entries(sent: list[str | bytes]) -> list[tuple[str, str | None, bool]]:
    """(kind, frame id, duplicate) for each frame, in order, as the journal must hold them."""
    seen: set[str] = set()
    out = []
    for item in sent:
        if isinstance(item, bytes) or not item.startswith("{"):
            out.append(("malformed", None, False))
            continue
        event_id = json.loads(item)["id"]
        out.append(("event", event_id, event_id in seen))
        seen.add(event_id)
    return out


def journal_entries(entries) -> list[tuple[str, str | None, bool]]:
    """(kind, frame id, duplicate) for each entry of a journal (a replayed export's), to compare with
    :func:`expected_entries`."""
    from tui.protocol.parse import Event, Malformed

    return [("event", e.id, e.duplicate) if isinstance(e, Event) else ("malformed", None, False)
            for e in entries if isinstance(e, Event | Malformed)]


def export_entries(records: list[dict]) -> list[tuple[str, str | None, bool]]:
    """(kind, frame id, duplicate) for each record of an export, to compare with :func:`expected_entries`."""
    return [(r["kind"], r["frame"]["id"] if r["kind"] == "event" else None, r.get("duplicate", False))
            for r in records]
