"""HubClient: one live subscription to the Events Hub, kept alive and kept right.

It connects with auth and the channels asked for, reads the confirmation, takes the REST listings after every
(re)connect, reconnects after any drop with capped exponential backoff and full jitter, and changes channels
while connected (unsubscribe in place; a planned reconnect to add one). What keeps a session right on the real
server (lost frames, resyncs, an evicted confirmation, the health ping) is in :mod:`.repair`. Everything it
learns goes, in order, to one :class:`~tui.protocol.items.Consumer`, a burst at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ..protocol.errors import HubError, describe, for_status
from ..protocol.items import CallableConsumer, ConnState, Consumer, Item, Loss, Snapshot, Status, as_consumer  # noqa: F401
from ..protocol.models import ClientIdBody, Confirmation
from ..protocol.parse import Event, Malformed, Note, body_model, known_event, parse_frame
from ..settings import Settings
from .connection import FrameConnection
from .frames import BadFrame
from .repair import PING, RESYNC_MIN_S, Repair  # noqa: F401 - PING: what a test looks for
from .support import Fatal, RedactingLogger, backoff_delay, close_reason, close_socket  # noqa: F401

#: how often a quiet connection asks its consumer whether a resync has come due
RESYNC_POLL_S = 0.5

Sink = Consumer | Callable[[Item], Any]


class HubClient(Repair):
    def __init__(self, settings: Settings, sink: Sink | None = None, *, rest: Any = None,
                 fail_fast: bool = False, snapshot: bool = True) -> None:
        from .rest import HubRest

        self.settings = settings
        self.consumer: Consumer = as_consumer(sink)
        self.rest = rest or HubRest(settings)
        self.auth = self.rest.auth
        self.fail_fast = fail_fast
        self.take_snapshot = snapshot
        self.channels: tuple[str, ...] = tuple(settings.channels)
        self.client_id: str | None = None
        self.subscriptions: tuple[str, ...] = ()
        self.state = ConnState.IDLE
        #: the subscriptions are what hubtop asked for (the server's confirmation never came)
        self.unconfirmed = False
        self.connections = 0
        self._ws: FrameConnection | None = None
        self._stopping = False
        self._planned: str | None = None
        self._drop_note: str | None = None
        self._pong = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._wake = asyncio.Event()
        self._connected_event = asyncio.Event()
        #: the channels the live (or last) connection was opened with
        self._opened_with: tuple[str, ...] = self.channels
        self._rng = random.Random()
        # loss and resync
        self._burst = 0
        self._burst_at = 0.0
        self._burst_flagged = False
        self._counting = False
        self._resync_task: asyncio.Task | None = None
        self._resync_last = -1e9
        self._resync_gap = RESYNC_MIN_S
        self._resync_reason: str | None = None
        self._id_task: asyncio.Task | None = None
        self._ws_logger = RedactingLogger(logging.getLogger("websockets.client"), self.auth.secrets)

    # ------------------------------------------------------------------ public

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected_event.wait(), timeout)

    async def stop(self) -> None:
        self._stopping = True
        self._stop_event.set()
        ws = self._ws
        if ws is not None:
            await close_socket(ws)

    async def aclose(self) -> None:
        await self.stop()
        with contextlib.suppress(Exception):
            await self.rest.aclose()

    async def set_channels(self, channels: tuple[str, ...] | list[str]) -> None:
        """Change the subscription. Removing channels calls the unsubscribe endpoint with the live client id
        (until the id is learned, the change waits for it); adding one makes a planned reconnect with the new set
        (closing the old socket first)."""
        wanted = tuple(c for c in dict.fromkeys(c.lower() for c in channels) if c != "global")
        current = {c for c in (self.subscriptions or self.channels) if c != "global"}
        self.channels = wanted
        added = set(wanted) - current
        removed = current - set(wanted)
        if self._ws is None:
            return  # the next connect uses the new set
        if added:
            self._planned = f"channels changed to {', '.join(wanted) or 'global only'}"
            await self._close_ws()
            return
        if removed and self.client_id is None:
            self._emit(Note(f"unsubscribing from {', '.join(sorted(removed))} waits for the client id "
                            "(the server's confirmation was lost; hubtop is asking for it)", "warning"))
            return
        if removed:
            assert self.client_id is not None
            try:
                done = await self.rest.unsubscribe(self.client_id, sorted(removed))
            except HubError as err:
                self.channels = tuple(sorted(current | set(wanted)))
                self._emit(Note(f"unsubscribe failed: {err}", "error"))
                return
            self.subscriptions = tuple(c for c in self.subscriptions if c not in done)
            if done:
                self._emit(Note(f"unsubscribed from {', '.join(done)}", "info"))
            not_done = sorted(removed - set(done))
            if not_done:
                self._emit(Note(f"the server did not unsubscribe {', '.join(not_done)}", "warning"))
            self._status(ConnState.CONNECTED, "connected")

    # ------------------------------------------------------------------ internals

    def _emit(self, item: Item) -> None:
        self.consumer.deliver((item,))

    def _status(self, state: ConnState, text: str, **kw: Any) -> None:
        self.state = state
        missing = tuple(c for c in self.channels if c not in self.subscriptions) if self.subscriptions else ()
        self._emit(Status(state, text, client_id=self.client_id, subscriptions=self.subscriptions,
                          missing=() if self.unconfirmed else missing, unconfirmed=self.unconfirmed,
                          reconnected=self.connections > 1, **kw))

    async def _close_ws(self) -> None:
        ws = self._ws
        if ws is not None:
            await close_socket(ws)

    async def _sleep(self, delay: float) -> None:
        """Wait out a backoff: ``delay`` seconds, or until :meth:`stop` or :meth:`reconnect_now`."""
        self._wake.clear()
        waits = [asyncio.ensure_future(self._stop_event.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def reconnect_now(self) -> None:
        """Reconnect at once: skip what is left of a backoff wait, or drop a live connection and open another."""
        if self._ws is not None:
            self._planned = "reconnect asked for"
            await self._close_ws()
        else:
            self._wake.set()

    async def run(self) -> None:
        """Connect and keep connected until :meth:`stop`. With ``fail_fast`` the first failure raises
        :class:`HubError` instead of retrying."""
        attempt = 0
        # when the live feed went down, and why: None until a connection that was up is lost
        down_since: float | None = None
        down_reason = ""
        relogged = False
        while not self._stopping:
            self._status(ConnState.CONNECTING,
                         "connecting" if attempt == 0 else f"connecting (attempt {attempt + 1})", attempt=attempt)
            started = time.monotonic()
            try:
                ws = await self._open()
            except HubError as err:
                if err.kind == "auth" and self.auth.can_login and not relogged:
                    relogged = True
                    try:
                        await self.rest.login()
                        continue
                    except HubError as login_err:
                        err = login_err
                if self.fail_fast and self.connections == 0:
                    raise err from None
                if not err.retryable:
                    auth = err.kind in ("auth", "forbidden")
                    self._status(ConnState.AUTH_FAILED if auth else ConnState.STOPPED,
                                 str(err) if auth else f"stopped: {err}", error=err)
                    return
                attempt += 1
                delay = backoff_delay(attempt, self.settings.backoff_base, self.settings.backoff_cap, self._rng)
                self._status(ConnState.RECONNECTING, f"reconnecting in {math.ceil(delay)} s (attempt {attempt})",
                             attempt=attempt, delay=delay, error=err, reason=str(err))
                await self._sleep(delay)
                continue
            if self._stopping:  # stop() came while the handshake was under way
                await close_socket(ws)
                break
            relogged = False
            self.connections += 1
            reason = ""
            was_up = False
            try:
                await self._session(ws, down_since, down_reason)
            except Fatal as fatal:
                if self.fail_fast and self.connections == 1:
                    raise fatal.error from None
                reason = str(fatal.error)
            except ConnectionClosed as exc:
                reason = self._close_reason(exc)
            except (OSError, TimeoutError) as exc:
                reason = str(describe(exc, self.settings.display_url))
            finally:
                was_up = self._connected_event.is_set()
                self._ws = None
                self._connected_event.clear()
                self.client_id = None
                for task in (self._id_task, self._resync_task):
                    if task is not None:
                        task.cancel()
                self._id_task = self._resync_task = None
                self._resync_reason = None
            if self._drop_note:
                self._emit(Note(self._drop_note, "warning"))
                self._drop_note = None
            if self._stopping:
                break
            planned = self._planned
            if planned:
                reason, self._planned = planned, None
            if not reason:
                reason = "connection closed"
            if was_up:  # the feed was live until now: a new outage starts (earlier ones were resynced)
                down_since, down_reason = time.time(), reason
            if planned:
                attempt = 0
                continue
            if time.monotonic() - started >= 5.0:
                attempt = 0
            attempt += 1
            delay = backoff_delay(attempt, self.settings.backoff_base, self.settings.backoff_cap, self._rng)
            self._status(ConnState.RECONNECTING, f"reconnecting in {math.ceil(delay)} s (attempt {attempt})",
                         attempt=attempt, delay=delay, reason=reason)
            await self._sleep(delay)
        self._status(ConnState.STOPPED, "stopped")

    async def _open(self) -> FrameConnection:
        from ..protocol.errors import redirected
        from .connection import Redirected

        s = self.settings
        self._opened_with = self.channels
        url = s.subscribe_url(self.channels)
        where = s.display_url
        try:
            return await connect(
                url,
                additional_headers=self.auth.headers(),
                max_size=s.max_frame,
                compression=None,
                open_timeout=s.timeout,
                close_timeout=2,
                ssl=s.ssl_context(),
                proxy=None,
                user_agent_header="hubtop",
                max_queue=64,
                logger=self._ws_logger,
                create_connection=FrameConnection,  # which follows no redirect: the API key would go along
            )
        except Redirected as exc:
            raise redirected(where, "subscribe", exc.status, url, exc.location) from None
        except InvalidStatus as exc:
            resp = exc.response
            body = resp.body.decode("utf-8", "replace") if resp.body else ""
            raise for_status(resp.status_code, where, body, "subscribe endpoint", self.auth.secrets(),
                             has_credentials=self.settings.has_credentials() or bool(self.auth.token)) from None
        except InvalidURI:
            raise HubError(f"not a valid WebSocket URL for {where}", "config") from None
        except InvalidHandshake as exc:
            raise HubError(f"{where} did not accept a WebSocket ({exc.__class__.__name__}); check the URL",
                           "protocol") from None
        except (OSError, TimeoutError) as exc:
            raise describe(exc, where) from None

    async def _session(self, ws: FrameConnection, down_since: float | None, reason: str) -> None:
        self._ws = ws
        consumer = self.consumer
        deliver = consumer.deliver
        await self._confirm(ws)
        if self.take_snapshot:
            snapshot = await self._listings(since=time.time())
            snapshot.down_since, snapshot.reason = down_since, reason
            self._emit(snapshot)
            del snapshot  # 20,000 records: not kept for the life of the connection
        self._connected_event.set()
        self._status(ConnState.CONNECTED, "connected again" if self.connections > 1 else "connected")
        if self.channels != self._opened_with and self.client_id is not None:
            # the channels changed while this connection was being made (a quick second toggle): catch up
            # now, by unsubscribing in place or by another planned reconnect
            await self.set_channels(self.channels)
        heartbeat = asyncio.create_task(self._heartbeat(ws))
        on_pong = self._on_pong
        takes_text = consumer.takes_text
        bad_frames = getattr(consumer, "takes_bad_frames", False)
        resync_due = consumer.resync_due
        clock = time.monotonic
        self._burst, self._burst_at, self._counting = 0, clock(), False

        def handle(frames: list[str | bytes]) -> None:
            items: list[Item | str] = []
            now = time.time()  # the frames of one read arrived together
            for frame in frames:
                if takes_text and known_event(frame):
                    items.append(frame)  # a known hub event, as its frame's text
                    continue
                item = parse_frame(frame, now)
                if item.__class__ is Event and item.event_type != "orchestrator":
                    if item.message == "pong" and item.event_type == "health":
                        on_pong(item.ref_id)
                    elif self.client_id is None and body_model(item.event_type, item.message) is ClientIdBody:
                        learned = item.body["client_id"]  # read before it is handed over: a journal releases it
                        items.append(item)
                        deliver(items)
                        items = []
                        self._learned_id(learned)
                        continue
                elif bad_frames and item.__class__ is Malformed:
                    item = BadFrame(item, frame)  # a recorder, `tail --raw`: the frame as it came, too
                items.append(item)
            loss = self._count_burst(len(frames), clock())
            if loss is not None:
                items.append(loss)
            if items:
                deliver(items)
            wanted = resync_due()
            if wanted is not None:
                self.request_resync(wanted)

        async def watch_resync() -> None:  # a resync that comes due while no frame arrives
            while True:
                await asyncio.sleep(RESYNC_POLL_S)
                wanted = resync_due()
                if wanted is not None:
                    self.request_resync(wanted)

        watcher = asyncio.create_task(watch_resync())
        try:
            # from here on the messages of each read from the socket are parsed and handed over at once (no
            # recv() per frame); this returns, raising ConnectionClosed, when the connection ends
            ws.inbox.go_live(handle)
            await ws.inbox.run()
        finally:
            heartbeat.cancel()
            watcher.cancel()

    async def _confirm(self, ws: FrameConnection) -> None:
        """Read the confirmation: the client id and the subscriptions the server really made. It is queued
        like any frame, so more than a full queue before the first flush evicts it: then hubtop asks for the
        client id until it learns it, and takes its subscriptions from what it asked for (unconfirmed)."""
        try:
            frame = await asyncio.wait_for(ws.inbox.get(), self.settings.timeout)
        except TimeoutError:
            raise Fatal(HubError(f"{self.settings.display_url} sent no confirmation in "
                                  f"{self.settings.timeout:g} s", "timeout")) from None
        item = parse_frame(frame)
        confirmed = isinstance(item, Event) and body_model(item.event_type, item.message) is Confirmation
        body = item.body if confirmed else None  # read before it is handed over: a journal releases it
        bad = item.__class__ is Malformed and getattr(self.consumer, "takes_bad_frames", False)
        self._emit(BadFrame(item, frame) if bad else item)
        if body is not None:
            self.client_id = body["client_id"]
            self.subscriptions = tuple(dict.fromkeys(c.lower() for c in body["subscriptions"]))
            self.unconfirmed = False
            missing = [c for c in self.channels if c not in self.subscriptions]
            if missing:
                self._emit(Note(f"the server did not confirm: {', '.join(missing)}", "warning"))
            return
        self.client_id = None
        self.subscriptions = (*self.channels, "global")
        self.unconfirmed = True
        self._emit(Note("the server's confirmation did not arrive (its queue may have evicted it): asking for the "
                        "client id; subscriptions shown as asked for", "warning"))
        self._id_task = asyncio.get_running_loop().create_task(self._ask_client_id(ws))

    def _close_reason(self, exc: ConnectionClosed) -> str:
        reason, self._drop_note = close_reason(exc, self._drop_note, self.settings.max_frame)
        return reason
