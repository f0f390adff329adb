"""FrameConnection: hubtop's own frame split on top of websockets, over a real socket.

The split takes plain frames itself and leaves everything else to websockets; these tests check it hands
over exactly the messages a ``recv()`` loop would, whatever the chunking, and that every frame it must not
take (control frames, fragments, masked, reserved bits, oversize, bad UTF-8) still gets websockets' own
answer.
"""

from __future__ import annotations

import asyncio
import os
import struct

import pytest
from kit.raw import RawHub
from kit.wait import wait_until
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tui.transport.connection import FrameConnection


def wire(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = False, rsv: int = 0) -> bytes:
    """One server frame as bytes on the wire (RFC 6455 section 5.2)."""
    head = bytearray([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head.append(bit | n)
    elif n < 65536:
        head.append(bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(bit | 127)
        head += struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes(head) + payload


def text(s: str, **kw) -> bytes:
    return wire(0x1, s.encode(), **kw)


MESSAGES: list[str | bytes] = [
    '{"a":1}',
    "é" * 70,  # 140 bytes: the 16-bit length form
    "x" * 125,
    "y" * 126,
    "z" * 70_000,  # the 64-bit length form
    b"\x00\x01binary",
    "",
]


def encode(messages) -> bytes:
    return b"".join(wire(0x2, m) if isinstance(m, bytes) else text(m) for m in messages)


async def open_live(hub: RawHub, max_size: int = 1 << 20):
    got: list[str | bytes] = []
    ws = await connect(f"ws://127.0.0.1:{hub.port}/api/v1/ws/subscribe", create_connection=FrameConnection,
                       max_size=max_size, compression=None)
    first = await ws.inbox.get()
    assert "client_id" in first
    ws.inbox.go_live(got.extend)
    return ws, got


async def server_conn(hub: RawHub):
    await wait_until(lambda: hub.connections, what="the server side")
    return hub.connections[-1]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 9, 64, 1000, 1 << 20])
async def test_any_chunking_gives_the_same_messages(chunk):
    """Bytes handed over as a transport might: split at every position, several frames per chunk."""
    async with RawHub() as hub:
        ws, got = await open_live(hub)
        await asyncio.sleep(0.05)  # let the data after the confirmation settle (there is none)
        assert ws.fast, "the split is on once the handshake is done and websockets holds no partial frame"
        data = encode(MESSAGES * 2)
        for i in range(0, len(data), chunk):
            ws.data_received(data[i:i + chunk])
        assert got == MESSAGES * 2
        await ws.close()


async def test_frames_over_the_socket_arrive_whole_and_in_order():
    sent = [f'{{"n":{i},"pad":"{"p" * (i % 300)}"}}' for i in range(3000)]

    async def script(conn):
        for m in sent:
            await conn.send(m)

    async with RawHub(script) as hub:
        ws, got = await open_live(hub)
        await wait_until(lambda: len(got) == len(sent), what="every frame")
        assert got == sent
        assert ws.fast
        await ws.close()


async def test_fragments_and_pings_go_through_websockets():
    async with RawHub() as hub:
        ws, got = await open_live(hub)
        server = await server_conn(hub)
        await asyncio.sleep(0.05)
        pong = await server.ping(b"are-you-there")
        server.transport.write(text("one"))
        server.transport.write(wire(0x1, b'{"frag', fin=False) + wire(0x9, b"mid") + wire(0x0, b'":', fin=False)
                               + wire(0x0, b"1}"))
        server.transport.write(text("two"))
        await asyncio.wait_for(pong, 5)  # websockets answered the ping
        await wait_until(lambda: len(got) == 3, what="three messages")
        assert got == ["one", '{"frag":1}', "two"]
        await ws.close()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (text("masked", mask=True), 1002),  # a server must not mask
        (text("rsv", rsv=0b100), 1002),  # no extension was negotiated
        (wire(0x3, b"reserved opcode"), 1002),
        (wire(0x0, b"stray continuation"), 1002),
        (wire(0x1, b"\xff\xfe not utf-8"), 1007),
        (text("x" * 2000), 1009),  # over max_size (1,000 here)
    ],
    ids=["masked", "rsv-bit", "opcode", "continuation", "utf-8", "too-big"],
)
async def test_a_bad_frame_gets_websockets_own_answer(bad, code):
    async with RawHub() as hub:
        ws, got = await open_live(hub, max_size=1000)
        server = await server_conn(hub)
        await asyncio.sleep(0.05)
        server.transport.write(text("before") + bad + text("after"))
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.inbox.run(), 5)
        assert info.value.sent is not None and info.value.sent.code == code
        assert got == ["before"]  # nothing after a failed frame is handed over


async def test_a_close_frame_ends_the_run_cleanly_and_later_bytes_are_ignored():
    async with RawHub() as hub:
        ws, got = await open_live(hub)
        server = await server_conn(hub)
        await asyncio.sleep(0.05)
        await server.send("last")
        await server.close(1001, "going away")
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.inbox.run(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1001
        assert got == ["last"]


async def test_a_handler_error_fails_the_connection_and_is_raised():
    async def script(conn):
        await conn.send("boom")
        await conn.send("never")

    async with RawHub(script) as hub:
        ws = await connect(f"ws://127.0.0.1:{hub.port}/api/v1/ws/subscribe", create_connection=FrameConnection,
                           compression=None)
        await ws.inbox.get()

        def handler(messages):
            raise RuntimeError(f"cannot handle {messages[0]}")

        ws.inbox.go_live(handler)
        with pytest.raises(RuntimeError, match="cannot handle boom"):
            await asyncio.wait_for(ws.inbox.run(), 5)


async def test_messages_held_before_going_live_pause_reading_and_all_arrive():
    """Until the reader goes live (the REST snapshot is being taken), messages wait and reading pauses at
    the high-water mark; going live hands over all of them, in order, and reading resumes."""
    from tui.transport import connection

    n = connection.HIGH_WATER * 3

    async def script(conn):
        for i in range(n):
            await conn.send(str(i))

    async with RawHub(script) as hub:
        ws = await connect(f"ws://127.0.0.1:{hub.port}/api/v1/ws/subscribe", create_connection=FrameConnection,
                           compression=None)
        await ws.inbox.get()
        await wait_until(lambda: ws.inbox.paused, what="reading paused")
        held = len(ws.inbox.buffer)
        assert connection.HIGH_WATER < held < n
        got: list[str] = []
        ws.inbox.go_live(got.extend)
        await wait_until(lambda: len(got) == n, what="every message")
        assert got == [str(i) for i in range(n)]
        await ws.close()


async def test_a_large_frame_in_many_reads_is_read_by_websockets_without_piling_up():
    """A frame larger than the split's limit (up to max_size) goes to websockets as its bytes arrive: the split
    never holds more than a small frame's worth of bytes, and the message arrives whole."""
    async with RawHub() as hub:
        ws, got = await open_live(hub, max_size=4 << 20)
        await asyncio.sleep(0.05)
        big = "b" * (3 << 20)
        data = text("before") + text(big) + text("after")
        for i in range(0, len(data), 65536):
            ws.data_received(data[i:i + 65536])
            assert len(ws._pending) <= 65536 + 14  # at most one small frame and its header
        assert got == ["before", big, "after"]
        assert ws.fast
        await ws.close()
