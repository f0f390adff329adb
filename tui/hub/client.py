"""HubClient: one live subscription to the Events Hub, kept alive.

It connects with auth and the channels asked for, reads the confirmation, takes the REST snapshot after
every (re)connect, sends the app-level health ping and reconnects when no pong comes, reconnects after any
drop with capped exponential backoff and full jitter, and changes channels while connected (unsubscribe in
place; a planned reconnect to add one).

Everything it learns is pushed, in order, to one synchronous ``sink``: :class:`Event` and
:class:`Malformed` (frames), :class:`Status` (connection state), :class:`Snapshot` (after each connect) and
:class:`Note`. A sink with a ``many(items)`` method (a :class:`~tui.feed.Feed`) gets the frames of each read
from the socket in one call. A sink whose ``takes_text`` is true may get a known hub event as its frame's
text (a ``str``) instead of an :class:`Event`: it is checked all the same, but no event is built for a
reader that only passes the frame on (``hubtop tail``). :meth:`HubClient.stream` offers the same as an
async iterator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.protocol import State

from ..config import Settings
from .connection import FrameConnection
from .errors import HubError, describe, for_status
from .models import ClientIdBody, Confirmation, HostRecord, VMRecord
from .parse import Event, Malformed, Note, body_model, known_event, parse_frame

PING = json.dumps({"event_type": "health", "message": "ping"})
CLIENT_ID_REQUEST = json.dumps({"event_type": "system", "message": "client-id"})

CLOSE_REASONS = {
    1000: "closed by the server",
    1001: "server going away",
    1006: "connection lost without a close frame",
    1008: "closed by the server for a policy violation",
    1009: "a frame was too large",
    1011: "server error",
    1012: "server restarting",
}


#: close codes the client itself sends when the server breaks the protocol, and what they mean to a person
_CLIENT_FAILED = {
    1002: "the server broke the WebSocket protocol",
    1007: "the server sent a text frame that is not valid UTF-8",
}


@dataclass(slots=True)
class Status:
    """A connection state change. ``text`` is what a status bar shows."""

    state: str  # connecting | connected | reconnecting | auth_failed | stopped
    text: str
    attempt: int = 0
    delay: float = 0.0
    client_id: str | None = None
    subscriptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    error: HubError | None = None
    #: why the connection is not up (for reconnecting), one human line
    reason: str = ""
    at: float = field(default_factory=time.time)

    @property
    def line(self) -> str:
        """``text`` with the reason, for a log or stderr."""
        return f"{self.reason}; {self.text}" if self.reason else self.text


@dataclass(slots=True)
class Snapshot:
    hosts: list[HostRecord]
    vms: list[VMRecord]
    #: when the feed went down before this (re)connect, ``None`` for the first connect
    down_since: float | None = None
    reason: str = ""
    at: float = field(default_factory=time.time)


Item = Event | Malformed | Status | Snapshot | Note
Sink = Callable[[Item], Any]


class _RedactingLogger(logging.LoggerAdapter):
    """websockets' logger with every secret in play blanked out: at DEBUG it logs the handshake's request
    headers, ``Authorization: Bearer <token>`` and ``X-Api-Key`` included."""

    def __init__(self, logger: logging.Logger, secrets: Callable[[], tuple[str, ...]]) -> None:
        super().__init__(logger, {})
        self._secrets = secrets

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        secrets = [s for s in self._secrets() if s]
        if secrets:
            try:
                text = str(msg) % args if args else str(msg)
            except (TypeError, ValueError):
                text = " ".join(str(part) for part in (msg, *args))
            for secret in secrets:
                text = text.replace(secret, "***")
            msg, args = text, ()
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, msg, *args, **kwargs)


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 30.0, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]; attempt 1 is the first retry."""
    # the exponent is clamped: after hours of retries 2**attempt would overflow a float
    ceiling = min(cap, base * (2 ** min(max(0, attempt - 1), 64)))
    return (rng or random).uniform(0, ceiling)


async def _close_socket(ws: FrameConnection, timeout: float = 2.0) -> None:
    """Close with a close frame; when the server does not answer in time (dead, or its loop is stuck), drop
    the TCP connection, so that the reader sees the end and a stop or a planned reconnect never hangs."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), timeout)
    if ws.state is not State.CLOSED:
        ws.transport.abort()


class _Fatal(Exception):
    def __init__(self, error: HubError) -> None:
        self.error = error


class HubClient:
    def __init__(self, settings: Settings, sink: Sink | None = None, *, rest: Any = None,
                 fail_fast: bool = False, snapshot: bool = True) -> None:
        from .rest import HubRest

        self.settings = settings
        self.sink: Sink = sink or (lambda item: None)
        self.rest = rest or HubRest(settings)
        self.auth = self.rest.auth
        self.fail_fast = fail_fast
        self.take_snapshot = snapshot
        self.channels: tuple[str, ...] = tuple(settings.channels)
        self.client_id: str | None = None
        self.subscriptions: tuple[str, ...] = ()
        self.state = "idle"
        self.last_status: Status | None = None
        self.connections = 0
        self._ws: FrameConnection | None = None
        self._stopping = False
        self._planned: str | None = None
        self._drop_note: str | None = None
        self._pong = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._connected_event = asyncio.Event()
        #: the channels the live (or last) connection was opened with
        self._opened_with: tuple[str, ...] = self.channels
        self._rng = random.Random()
        self._ws_logger = _RedactingLogger(logging.getLogger("websockets.client"), self.auth.secrets)

    # ------------------------------------------------------------------ public

    async def stream(self) -> AsyncIterator[Item]:
        """The same items as the sink, as an async iterator (runs the client while iterated)."""
        queue: asyncio.Queue[Item | None] = asyncio.Queue()
        self.sink = queue.put_nowait
        task = asyncio.create_task(self._run_then(queue))
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                yield item
        finally:
            await self.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run_then(self, queue: asyncio.Queue) -> None:
        try:
            await self.run()
        finally:
            queue.put_nowait(None)

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected_event.wait(), timeout)

    async def stop(self) -> None:
        self._stopping = True
        self._stop_event.set()
        ws = self._ws
        if ws is not None:
            await _close_socket(ws)

    async def aclose(self) -> None:
        await self.stop()
        with contextlib.suppress(Exception):
            await self.rest.aclose()

    async def set_channels(self, channels: tuple[str, ...] | list[str]) -> None:
        """Change the subscription. Removing channels calls the unsubscribe endpoint with the live client id;
        adding one makes a planned reconnect with the new set (closing the old socket first)."""
        wanted = tuple(c for c in dict.fromkeys(c.lower() for c in channels) if c != "global")
        # without a confirmation (an older server) what we asked for is the best guess of what we have
        current = {c for c in (self.subscriptions or self.channels) if c != "global"}
        self.channels = wanted
        added = set(wanted) - current
        removed = current - set(wanted)
        if self._ws is None or self.client_id is None:
            return  # the next connect uses the new set
        if added:
            self._planned = f"channels changed to {', '.join(wanted) or 'global only'}"
            await self._close_ws()
            return
        if removed:
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
            self._status("connected", self._connected_text())

    # ------------------------------------------------------------------ internals

    def _emit(self, item: Item) -> None:
        self.sink(item)

    def _status(self, state: str, text: str, **kw: Any) -> None:
        self.state = state
        st = Status(state, text, client_id=self.client_id, subscriptions=self.subscriptions,
                    missing=tuple(c for c in self.channels if c not in self.subscriptions) if self.subscriptions else (),
                    **kw)
        self.last_status = st
        self._emit(st)

    def _connected_text(self) -> str:
        return "connected"

    async def _close_ws(self) -> None:
        ws = self._ws
        if ws is not None:
            await _close_socket(ws)

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), delay)

    async def run(self) -> None:
        """Connect and keep connected until :meth:`stop`. With ``fail_fast`` the first failure raises
        :class:`HubError` instead of retrying."""
        attempt = 0
        # when the live feed went down, and why: None until a connection that was up is lost
        down_since: float | None = None
        down_reason = ""
        relogged = False
        while not self._stopping:
            self._status("connecting", "connecting" if attempt == 0 else f"connecting (attempt {attempt + 1})",
                         attempt=attempt)
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
                    self._status("auth_failed" if err.kind in ("auth", "forbidden") else "stopped",
                                 f"auth failed: {err}" if err.kind in ("auth", "forbidden") else f"stopped: {err}",
                                 error=err)
                    return
                attempt += 1
                delay = backoff_delay(attempt, self.settings.backoff_base, self.settings.backoff_cap, self._rng)
                self._status("reconnecting", f"reconnecting in {math.ceil(delay)} s (attempt {attempt})",
                             attempt=attempt, delay=delay, error=err, reason=str(err))
                await self._sleep(delay)
                continue
            if self._stopping:  # stop() came while the handshake was under way
                await _close_socket(ws)
                break
            relogged = False
            self.connections += 1
            reason = ""
            was_up = False
            try:
                await self._session(ws, down_since, down_reason)
            except _Fatal as fatal:
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
            self._status("reconnecting", f"reconnecting in {math.ceil(delay)} s (attempt {attempt})",
                         attempt=attempt, delay=delay, reason=reason)
            await self._sleep(delay)
        self._status("stopped", "stopped")

    async def _open(self) -> FrameConnection:
        from .connection import Redirected
        from .errors import redirected

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
        sink = self.sink
        await self._confirm(ws)
        if self.take_snapshot:
            try:
                hosts, vms = await self.rest.snapshot()
            except HubError as err:
                if err.kind == "not_found":  # a host without the orchestrator: pdfm events only
                    hosts, vms = [], []
                    self._emit(Note(f"no orchestrator listing on this server ({err.status}); "
                                    "showing live events only", "info"))
                else:
                    raise _Fatal(err) from None
            self._emit(Snapshot(hosts, vms, down_since, reason))
            del hosts, vms  # 20,000 records: not kept for the life of the connection
        self._connected_event.set()
        self._status("connected", self._connected_text())
        if self.channels != self._opened_with and self.client_id is not None:
            # the channels changed while this connection was being made (a quick second toggle): catch up
            # now, by unsubscribing in place or by another planned reconnect
            await self.set_channels(self.channels)
        heartbeat = asyncio.create_task(self._heartbeat(ws))
        pong = self._pong

        many = getattr(sink, "many", None)  # a sink that takes a burst at once (one lock for a Feed)
        if many is None:
            def many(items: list[Item]) -> None:
                for item in items:
                    sink(item)

        takes_text = getattr(sink, "takes_text", False)

        def handle(frames: list[str | bytes]) -> None:
            items: list[Item | str] = []
            now = time.time()  # the frames of one read arrived together
            for frame in frames:
                if takes_text and known_event(frame):
                    items.append(frame)  # type: ignore[arg-type] - a known hub event, as its frame's text
                    continue
                item = parse_frame(frame, now)
                if item.__class__ is Event and item.event_type != "orchestrator":
                    if item.message == "pong" and item.event_type == "health":
                        pong.set()
                    elif self.client_id is None and body_model(item.event_type, item.message) is ClientIdBody:
                        # the answer to the client-id request of a server that sent no confirmation
                        self.client_id = item.body["client_id"]
                        items.append(item)
                        many(items)
                        items = []
                        self._status("connected", self._connected_text())
                        continue
                items.append(item)
            if items:
                many(items)

        try:
            # from here on the messages of each read from the socket are parsed and handed to the sink at
            # once (no recv() per frame); this returns, raising ConnectionClosed, when the connection ends
            ws.inbox.go_live(handle)
            await ws.inbox.run()
        finally:
            heartbeat.cancel()

    async def _confirm(self, ws: FrameConnection) -> None:
        """Read the confirmation: the client id and the subscriptions the server really made."""
        try:
            frame = await asyncio.wait_for(ws.inbox.get(), self.settings.timeout)
        except TimeoutError:
            raise _Fatal(HubError(f"{self.settings.display_url} sent no confirmation in "
                                  f"{self.settings.timeout:g} s", "timeout")) from None
        item = parse_frame(frame)
        confirmed = isinstance(item, Event) and body_model(item.event_type, item.message) is Confirmation
        body = item.body if confirmed else None  # read before the sink: a journal releases it
        self.sink(item)
        if body is not None:
            self.client_id = body["client_id"]
            self.subscriptions = tuple(dict.fromkeys(c.lower() for c in body["subscriptions"]))
        else:
            # an older or different server: ask for the client id, assume nothing about channels
            self.client_id = None
            self.subscriptions = ()
            await ws.send(CLIENT_ID_REQUEST)
            self._emit(Note("the server sent no subscription confirmation; subscriptions unknown", "warning"))
            return
        missing = [c for c in self.channels if c not in self.subscriptions]
        if missing:
            self._emit(Note(f"the server did not confirm: {', '.join(missing)}", "warning"))

    async def _heartbeat(self, ws: FrameConnection) -> None:
        s = self.settings
        try:
            while True:
                await asyncio.sleep(s.ping_interval)
                self._pong.clear()
                await ws.send(PING)
                try:
                    await asyncio.wait_for(self._pong.wait(), s.pong_timeout)
                except TimeoutError:
                    if "health" not in self.subscriptions:
                        # older servers answer pings only on the health channel: the protocol-level
                        # keepalive still guards this connection
                        continue
                    self._drop_note = f"no pong within {s.pong_timeout:g} s; reconnecting"
                    ws.transport.abort()
                    return
        except (ConnectionClosed, asyncio.CancelledError):
            return

    def _close_reason(self, exc: ConnectionClosed) -> str:
        if self._drop_note:
            return self._drop_note.split(";")[0]
        if exc.sent is not None and exc.sent.code == 1009:
            self._drop_note = (
                f"a frame larger than {self.settings.max_frame // (1024 * 1024)} MiB was refused; reconnected"
            )
            return "frame too large"
        rcvd = exc.rcvd
        if exc.sent is not None and exc.sent.code in _CLIENT_FAILED and not exc.rcvd_then_sent:
            # the client failed the connection because the server broke the protocol (RFC 6455 demands it)
            self._drop_note = f"{_CLIENT_FAILED[exc.sent.code]}; reconnected"
            return f"{_CLIENT_FAILED[exc.sent.code]} ({exc.sent.code})"
        if rcvd is None:
            return "connection lost without a close frame"
        text = CLOSE_REASONS.get(rcvd.code, f"closed by the server (code {rcvd.code})")
        if rcvd.reason:
            text += f": {rcvd.reason[:80]}"
        return f"{text} ({rcvd.code})" if rcvd.code in CLOSE_REASONS else text
