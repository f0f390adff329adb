"""websockets' asyncio client connection, handing each message over as soon as it is parsed.

``ClientConnection.recv()`` costs more per message than everything else on the receive path: each frame
goes through websockets' message assembler, a queue, a future and a task switch before the reader sees it.
At 20,000 frames a second that is the difference between an ingest path that keeps up and one that does not. :class:`FrameConnection` keeps everything else of websockets (handshake, close handshake,
ping/pong, ``max_size``, protocol errors, TLS) and replaces only the assembler: data frames are
reassembled and decoded here and handed, in order and synchronously, to a handler: a list of messages
at a time, all those one read from the socket brought (one call, and one lock in a sink, per burst).

Until :meth:`Inbox.go_live` sets the handler, messages wait in a bounded buffer (reading pauses at the
high-water mark, as websockets' ``max_queue`` does) and :meth:`Inbox.get` reads them one by one: that is
how the client reads the confirmation and holds what arrives during the REST snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.frames import CloseCode, Opcode
from websockets.protocol import State

from ..protocol.errors import WriteBufferFull

OP_TEXT, OP_BINARY, OP_CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
OPEN = State.OPEN

#: messages held before the handler is set; reading pauses above HIGH and resumes at LOW
HIGH_WATER = 1024
LOW_WATER = 256
#: the largest frame split here; a larger one (up to max_size) is read by websockets, which buffers it
#: without copying what arrived so far again at every read
SPLIT_MAX = 1 << 16
#: fragments of one message (websockets' own default limit)
MAX_FRAGMENTS = 4096
#: bytes waiting to be sent past which the connection is dropped: hubtop sends a ping now and then and
#: answers the server's pings; a server that pings without reading the answers would grow this forever
WRITE_BUFFER_MAX = 1 << 20

Message = str | bytes


class Inbox:
    """The messages of one :class:`FrameConnection`."""

    __slots__ = ("conn", "buffer", "handler", "fragments", "fragment_text", "waiter", "paused", "error",
                 "failed")

    def __init__(self, conn: FrameConnection) -> None:
        self.conn = conn
        self.buffer: deque[Message] = deque()
        self.handler: Callable[[list[Message]], Any] | None = None
        self.fragments: list[bytes] | None = None
        self.fragment_text = False
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        #: an exception the handler raised: the connection is failed (1011) and the reader re-raises it
        self.error: BaseException | None = None
        self.failed = False

    # ---------------------------------------------------------------- from the protocol

    def frame(self, opcode: Any, fin: bool, data: Any) -> None:
        if self.failed:
            return
        if opcode is not OP_CONT:
            if fin:
                if opcode is OP_TEXT:
                    try:
                        message: Message = str(data, "utf-8")
                    except UnicodeDecodeError as exc:
                        self.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
                        return
                else:
                    message = bytes(data)
                self._deliver(message)
                return
            # websockets' protocol checks the fragment sequence and the total size against max_size
            self.fragments = [bytes(data)]
            self.fragment_text = opcode is OP_TEXT
            return
        fragments = self.fragments
        if fragments is None:  # pragma: no cover - the protocol refuses an unexpected continuation
            return
        fragments.append(bytes(data))
        if not fin:
            if len(fragments) >= MAX_FRAGMENTS:
                self.fail(CloseCode.MESSAGE_TOO_BIG, "too many fragments")
            return
        self.fragments = None
        raw = b"".join(fragments)
        if self.fragment_text:
            try:
                message = str(raw, "utf-8")
            except UnicodeDecodeError as exc:
                self.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
                return
        else:
            message = raw
        self._deliver(message)

    def _deliver(self, message: Message) -> None:
        handler = self.handler
        if handler is not None:
            try:
                handler([message])
            except Exception as exc:
                self.handler_failed(exc)
            return
        self.buffer.append(message)
        if len(self.buffer) > HIGH_WATER and not self.paused:
            self.paused = True
            self.conn.transport.pause_reading()
        self._wake()

    def overflowed(self, size: int) -> None:
        """The server does not read what we send: drop the connection; the reader gets a WriteBufferFull."""
        if self.error is None:
            self.error = WriteBufferFull(size)
        self.failed = True
        self.conn.transport.abort()
        self._wake()

    def handler_failed(self, exc: Exception) -> None:
        """The handler raised (a bug downstream): fail the connection (1011); :meth:`run` re-raises it."""
        self.error = exc
        self.fail(CloseCode.INTERNAL_ERROR, "client error")

    def fail(self, code: int, reason: str) -> None:
        self.failed = True
        conn = self.conn
        if conn.protocol.state is State.OPEN:
            conn.protocol.fail(code, reason)
            conn.send_data()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def closed(self) -> None:
        self._wake()

    # ---------------------------------------------------------------- for the reader

    async def get(self) -> Message:
        """The next message; raises websockets' ``ConnectionClosed`` once the connection is closed."""
        conn = self.conn
        while not self.buffer:
            if self.failed or conn.protocol.state is State.CLOSED:
                await conn.wait_closed()
                if self.error is not None:
                    raise self.error
                raise conn.protocol.close_exc
            self.waiter = conn.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        message = self.buffer.popleft()
        if self.paused and len(self.buffer) <= LOW_WATER:
            self._resume()
        return message

    def go_live(self, handler: Callable[[list[Message]], Any]) -> None:
        """Hand what is buffered to ``handler`` now, and every later message as it is parsed (``handler``
        takes a list: the messages of one read, in order)."""
        self.handler = handler
        held = list(self.buffer)
        self.buffer.clear()
        if held and not self.failed:
            try:
                handler(held)
            except Exception as exc:
                self.handler_failed(exc)
        if self.paused:
            self._resume()

    def _resume(self) -> None:
        self.paused = False
        transport = self.conn.transport
        if not transport.is_closing():
            transport.resume_reading()

    async def run(self) -> None:
        """Wait for the end of a live connection; raise its ``ConnectionClosed`` (or the handler's error)."""
        conn = self.conn
        await conn.wait_closed()
        if self.error is not None:
            raise self.error
        raise conn.protocol.close_exc


class FrameConnection(ClientConnection):
    """A websockets client connection whose data frames go to :attr:`inbox` instead of ``recv()``.

    Once the handshake is done, :meth:`data_received` splits the byte stream into frames itself and hands
    each plain frame (a final, unmasked text or binary frame with no extension bits, within ``max_size``,
    outside a fragmented message) straight to the inbox: websockets' generator-based frame parser costs
    about 4 µs a frame, this split well under 1 µs. Every other frame (ping, pong, close, fragments, and
    anything odd: masked, reserved bits, unknown opcode, too large) goes, whole and at a frame boundary,
    to websockets' own protocol, which answers pings, runs the close handshake and fails the connection
    on a protocol error exactly as it always does. Once the connection is no longer open, all bytes go to
    websockets.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inbox = Inbox(self)
        #: splitting frames here (off until websockets' reader is at a frame boundary after the handshake)
        self.fast = False
        self._pending = b""
        #: bytes of the current frame still to pass to websockets
        self._passing = 0
        #: websockets' limit on a frame's payload (a larger frame goes to websockets, which refuses it)
        self._max_size = 1 << 62

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        """websockets' handshake, except that a redirect is never followed: it ends here as :class:`Redirected`
        (websockets' ``connect()`` follows a 3xx and sends the ``X-Api-Key`` header along, to any origin)."""
        try:
            await super().handshake(*args, **kwargs)
        except InvalidStatus as exc:
            response = exc.response
            if 300 <= response.status_code < 400:
                raise Redirected(response.status_code, response.headers.get("Location")) from None
            raise

    def send_data(self) -> None:
        """What websockets has to send, in one write, never to a closing transport (pongs to a ping flood
        after a break made asyncio log "socket.send() raised exception." once each); past
        :data:`WRITE_BUFFER_MAX` unsent, the server is not reading: the connection is dropped."""
        transport = self.transport
        chunks: list[bytes] = []
        for data in self.protocol.data_to_send():
            if data:
                chunks.append(data)
                continue
            self._write(chunks)  # the end of the stream: half-close once what came before is written
            chunks = []
            if self._closing():
                continue
            if not transport.can_write_eof():  # pragma: no cover - TLS cannot half-close
                transport.close()
                continue
            with contextlib.suppress(Exception):  # as websockets: write_eof() documents no exception
                transport.write_eof()
        self._write(chunks)

    def _closing(self) -> bool:
        """The transport is closing, or under TLS the socket's transport (it fails first; the TLS layer passes
        writes down to it until it hears of it)."""
        transport = self.transport
        if transport.is_closing():
            return True
        inner = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)
        return inner is not None and inner.is_closing()

    def _write(self, chunks: list[bytes]) -> None:
        transport = self.transport
        if not chunks or self._closing():
            return
        transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        size = transport.get_write_buffer_size()
        if size > WRITE_BUFFER_MAX:
            self.inbox.overflowed(size)

    def process_event(self, event: Any) -> None:
        if self.response is not None:
            opcode = event.opcode
            if opcode is OP_TEXT or opcode is OP_CONT or opcode is OP_BINARY:
                self.inbox.frame(opcode, event.fin, event.data)
                return
        super().process_event(event)

    def _to_protocol(self, data: bytes) -> None:
        super().data_received(data)

    def data_received(self, data: bytes) -> None:
        if not self.fast:
            super().data_received(data)
            protocol = self.protocol
            reader = getattr(protocol, "reader", None)
            limits = [getattr(protocol, name, 0) for name in ("max_message_size", "max_fragment_size")]
            if (self.response is not None and protocol.state is State.OPEN and self.inbox.fragments is None
                    and reader is not None and not getattr(reader, "buffer", True) and 0 not in limits):
                # websockets holds no partial frame: the next byte starts a frame
                self.fast = True
                self._max_size = min((x for x in limits if x is not None), default=1 << 62)
            return
        buf = self._pending + data if self._pending else data
        end = len(buf)
        pos = 0
        inbox = self.inbox
        protocol = self.protocol
        max_size = self._max_size
        view = memoryview(buf)
        while pos < end:
            if self._passing:  # the rest of a frame that websockets is reading
                take = min(self._passing, end - pos)
                self._passing -= take
                self._to_protocol(buf[pos:pos + take])
                pos += take
                continue
            if protocol.state is not OPEN or inbox.failed:
                self.fast = False  # closing: websockets takes everything from here on
                self._pending = b""
                self._to_protocol(buf[pos:])
                return
            handler = inbox.handler
            if inbox.fragments is None and handler is not None:
                # the common case, kept tight: final unmasked text frames, one after another
                batch: list[Message] = []
                bad_text = False
                while True:
                    if end - pos < 4 or buf[pos] != 0x81:
                        break
                    length = buf[pos + 1]
                    if length < 126:
                        start = pos + 2
                    elif length == 126:
                        length = buf[pos + 2] << 8 | buf[pos + 3]
                        start = pos + 4
                    else:
                        break
                    stop = start + length
                    if stop > end or length > max_size:
                        break
                    try:
                        batch.append(str(view[start:stop], "utf-8"))
                    except UnicodeDecodeError:
                        bad_text = True  # this frame again, below: the inbox fails the connection (1007)
                        break
                    pos = stop
                if batch:
                    try:
                        handler(batch)
                    except Exception as exc:
                        inbox.handler_failed(exc)
                        continue
                if (pos >= end or inbox.failed) and not bad_text:
                    continue
            # any other frame, or one cut short: read its header
            if end - pos < 2:
                break
            b0 = buf[pos]
            length = buf[pos + 1]
            head = 2
            if length >= 126:  # masked (bit 7) or an extended length: read the real length
                size = length & 0x7F
                if size == 126:
                    if end - pos < 4:
                        break
                    size = int.from_bytes(buf[pos + 2:pos + 4])
                    head = 4
                elif size == 127:
                    if end - pos < 10:
                        break
                    size = int.from_bytes(buf[pos + 2:pos + 10])
                    head = 10
                if length & 0x80:  # a masked frame from a server is a protocol error: websockets says so
                    self._passing = head + size
                    continue
                length = size
            if (b0 != 0x81 and b0 != 0x82) or inbox.fragments is not None or length > min(max_size, SPLIT_MAX):
                # websockets reads it: large frames too, whose bytes would otherwise pile up in _pending
                self._passing = head + length
                continue
            stop = pos + head + length
            if stop > end:
                break  # the rest of this frame is still on its way
            inbox.frame(OP_TEXT if b0 == 0x81 else OP_BINARY, True, view[pos + head:stop])
            pos = stop
        self._pending = buf[pos:] if pos < end else b""

    def eof_received(self) -> None:
        if self.fast and self._pending:  # a frame cut short: websockets sees what arrived, then the end
            pending, self._pending = self._pending, b""
            self._to_protocol(pending)
        return super().eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.inbox.closed()


class Redirected(InvalidHandshake):
    """The server answered the opening handshake with a redirect (3xx), which is not followed."""

    def __init__(self, status: int, location: str | None) -> None:
        super().__init__(f"redirect {status}")
        self.status = status
        self.location = location
