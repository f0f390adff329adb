"""The simulator's WebSocket side as the real server behaves: subscribe and its confirmation, the queue and its
flushes, reordered orchestrator delivery, client frames and their answers, drops and shutdown without a close
frame. Over real sockets on 127.0.0.1, driven as a client would."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kit.simwire import (
    BEARER,
    ENCODED_KEY,
    GO_TIME,
    HEX64,
    TOKEN,
    UUID,
    assert_oauth_error,
    diagnostics_sentence,
    frames_until,
    refused,
    served,
    subscribed,
    ws_url,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tui.sim import Simulator, start

SIM_DIR = Path(__file__).resolve().parents[2] / "tui" / "sim"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with served(frozen=True) as simulator:
        yield simulator


def test_the_simulator_builds_its_wire_output_from_its_own_definitions() -> None:
    """Nothing of the client's (its models, parser, cluster): a misreading there cannot hide in both."""
    for path in SIM_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert node.level <= 1 and not module.startswith("tui"), f"{path.name} imports {module}"
            elif isinstance(node, ast.Import):
                assert not any(alias.name.startswith("tui") for alias in node.names), path.name


# ----------------------------------------------------------------------------- subscribe


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer wrong"}, {"X-Api-Key": "wrong"}])
async def test_subscribe_without_valid_auth_is_401_in_the_oauth_shape(sim: Simulator, headers) -> None:
    status, body = await refused(ws_url(sim), headers)
    assert status == 401
    assert_oauth_error(body)
    assert sim.connections == []


@pytest.mark.parametrize(("headers", "query"), [
    (BEARER, {}),
    ({"X-Api-Key": ENCODED_KEY}, {}),
    ({}, {"access_token": TOKEN}),
    ({}, {"authorization": TOKEN}),
])
async def test_subscribe_accepts_every_auth_form(sim: Simulator, headers: dict[str, str],
                                                 query: dict[str, str]) -> None:
    async with subscribed(sim, "orchestrator", headers=headers, **query) as (_, confirmation):
        assert confirmation["body"]["subscriptions"] == ["orchestrator", "global"]


async def test_the_unversioned_path_subscribes_too(sim: Simulator) -> None:
    async with connect(ws_url(sim, "health", path="/api/ws/subscribe"), additional_headers=BEARER) as ws:
        confirmation = json.loads(await asyncio.wait_for(ws.recv(), 1.5))
    assert confirmation["body"]["subscriptions"] == ["health", "global"]


async def test_confirmation_keeps_the_order_asked_repeats_duplicates_and_drops_unknown_names(sim: Simulator) -> None:
    async with subscribed(sim, "Orchestrator,bogus,HEALTH,pdfm,health") as (_, confirmation):
        assert set(confirmation) == {"id", "event_type", "timestamp", "message", "body"}
        assert HEX64.match(confirmation["id"]) and GO_TIME.match(confirmation["timestamp"])
        assert confirmation["event_type"] == "global"
        assert confirmation["message"] == "WebSocket connection established subscribed to global by default"
        body = confirmation["body"]
        assert UUID.match(body["client_id"]) and body["client_id"] in sim.clients
        assert body["subscriptions"] == ["orchestrator", "health", "pdfm", "health", "global"]
        assert sim.clients[body["client_id"]].subscriptions == ["orchestrator", "health", "pdfm", "global"]
    assert sim.connections == [(["Orchestrator", "bogus", "HEALTH", "pdfm", "health"],
                                ["orchestrator", "health", "pdfm", "health", "global"])]


async def test_global_asked_for_stays_where_it_was_asked(sim: Simulator) -> None:
    async with subscribed(sim, "global,health") as (_, confirmation):
        assert confirmation["body"]["subscriptions"] == ["global", "health"]


async def test_hub_not_running_is_503_with_diagnostics(sim: Simulator) -> None:
    sim.hub_running = False
    status, body = await refused(ws_url(sim), BEARER)
    assert status == 503
    assert diagnostics_sentence(body, 503) == "EventEmitter service is not available"


async def test_409_only_when_asked_for_one_connection_per_ip() -> None:
    async with served(one_connection_per_ip=True, frozen=True) as simulator, subscribed(simulator, "health"):
        status, body = await refused(ws_url(simulator, "health"), BEARER)
        assert status == 409
        assert "already has an active WebSocket connection" in diagnostics_sentence(body, 409)
    async with served(frozen=True) as simulator, subscribed(simulator, "health"), subscribed(simulator, "health"):
        assert len(simulator.clients) == 2  # the real server never refuses a second connection


# ----------------------------------------------------------------------------- frames and the queue


async def test_every_text_frame_ends_with_a_newline(sim: Simulator) -> None:
    async with connect(ws_url(sim, "orchestrator,health"), additional_headers=BEARER) as ws:
        sim.emit("health", "MARKER")
        texts = [await asyncio.wait_for(ws.recv(), 1.5) for _ in range(2)]
    assert all(text.endswith("}\n") and text.count("\n") == 1 for text in texts)
    assert json.loads(texts[1])["message"] == "MARKER"


async def test_events_arrive_only_for_subscribed_channels(sim: Simulator) -> None:
    async with subscribed(sim, "health,stats") as (ws, _):
        hidden = [sim.emit(channel, "SOMETHING", {"n": 1}) for channel in ("orchestrator", "pdfm", "auth")]
        marker = sim.emit("health", "MARKER")
        frames = await frames_until(ws, lambda f: f["id"] == marker)
    assert {f["event_type"] for f in frames} <= {"global", "health", "stats"}
    assert not {f["id"] for f in frames} & set(hidden)
    assert "body" not in frames[-1]


async def test_queue_keeps_the_newest_2048_frames(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (ws, confirmation):
        ids = [sim.emit("health", "FILLER", {"n": n}) for n in range(3000)]
        frames = await frames_until(ws, lambda f: f["id"] == ids[-1])
    assert [f["id"] for f in frames] == ids[-2048:]
    assert sim.sent_counts[confirmation["body"]["client_id"]] == 2049


async def test_the_confirmation_is_queued_and_can_be_evicted_before_the_first_flush(sim: Simulator) -> None:
    sim.hold = True  # no flush yet: everything queues behind the confirmation
    async with connect(ws_url(sim, "health"), additional_headers=BEARER) as ws:
        [client] = sim.clients.values()
        assert len(client.queue) == 1 and json.loads(client.queue[0])["event_type"] == "global"
        ids = [sim.emit("health", "FILLER") for _ in range(2100)]
        sim.hold = False
        frames = await frames_until(ws, lambda f: f["id"] == ids[-1])
        assert [f["id"] for f in frames] == ids[-2048:]  # the confirmation and the oldest 52 fell off
        assert client.dropped == 2101 - 2048
        # asking for the id works, unless that answer is evicted too
        sim.hold = True
        await ws.send(json.dumps({"id": "cid-1", "event_type": "system", "message": "client-id"}))
        async with asyncio.timeout(1.5):
            while not any(b'"cid-1"' in frame.encode() for frame in client.queue if isinstance(frame, str)):
                await asyncio.sleep(0.01)
        filler = [sim.emit("health", "FILLER") for _ in range(2048)]
        sim.hold = False
        frames = await frames_until(ws, lambda f: f["id"] == filler[-1])
        assert all(f["message"] == "FILLER" for f in frames)
        await ws.send(json.dumps({"id": "cid-2", "event_type": "system", "message": "client-id"}))
        answer = (await frames_until(ws, lambda f: f["message"] == "client-id"))[-1]
    assert answer["body"] == {"client-id": client.id} and answer["ref_id"] == "cid-2"


async def test_frames_go_out_in_flushes(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (ws, _):
        sim.hold = True
        ids = [sim.emit("health", "FILLER") for _ in range(50)]
        await asyncio.sleep(0.25)  # held: nothing goes out however long it waits
        assert len(next(iter(sim.clients.values())).queue) == 50
        sim.hold = False
        frames = await frames_until(ws, lambda f: f["id"] == ids[-1])
    assert [f["id"] for f in frames] == ids


async def test_broadcast_raw_reaches_every_client_verbatim(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (first, _), subscribed(sim, "pdfm") as (second, _):
        sim.broadcast_raw("{not json")
        sim.broadcast_raw(b"\x00\x01binary")
        for ws in (first, second):
            async with asyncio.timeout(1.5):
                assert await ws.recv() == "{not json"
                assert await ws.recv() == b"\x00\x01binary"


# ----------------------------------------------------------------------------- the orchestrator's order


async def test_orchestrator_events_can_overtake_each_other_but_keep_their_build_times() -> None:
    async with served(frozen=True) as simulator, subscribed(simulator, "orchestrator") as (ws, _):
        sent = [simulator.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h", "state": str(n)})
                for n in range(300)]
        missing = set(sent)
        frames = await frames_until(ws, lambda f: missing.discard(f["id"]) or not missing, timeout=3)
    got = [f["id"] for f in frames if f["event_type"] == "orchestrator"]
    assert sorted(got) == sorted(sent) and got != sent  # all there, not all in order
    by_time = [f["id"] for f in sorted(frames, key=lambda f: f["timestamp"]) if f["event_type"] == "orchestrator"]
    assert by_time == sent  # the timestamp is when each was built: it orders them


async def test_without_reorder_orchestrator_events_arrive_as_built() -> None:
    async with served(frozen=True, reorder=False) as simulator, subscribed(simulator, "orchestrator") as (ws, _):
        sent = [simulator.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h", "state": str(n)})
                for n in range(300)]
        frames = await frames_until(ws, lambda f: f["id"] == sent[-1], timeout=3)
    assert [f["id"] for f in frames] == sent
    assert [f["timestamp"] for f in frames] == sorted({f["timestamp"] for f in frames})  # each its own instant


# ----------------------------------------------------------------------------- client frames


async def test_a_pong_answers_with_the_pings_id(sim: Simulator) -> None:
    async with subscribed(sim) as (ws, confirmation):
        await ws.send(json.dumps({"id": "ping-1", "event_type": "health", "message": "ping"}))
        pong = (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]
        assert set(pong) == {"id", "ref_id", "event_type", "timestamp", "message", "client_id"}
        assert (pong["event_type"], pong["ref_id"]) == ("health", "ping-1")
        assert pong["client_id"] == confirmation["body"]["client_id"]
        assert HEX64.match(pong["id"]) and GO_TIME.match(pong["timestamp"])
        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        pong = (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]
        assert HEX64.match(pong["ref_id"])  # no id in the ping: one the server made


async def test_pongs_are_sent_without_the_health_subscription(sim: Simulator) -> None:
    async with subscribed(sim, "pdfm") as (ws, _):
        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        assert (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]["event_type"] == "health"


async def test_stalled_pongs_go_unanswered(sim: Simulator) -> None:
    sim.stall_pongs = True
    async with subscribed(sim, "health") as (ws, _):
        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        await ws.send(json.dumps({"event_type": "system", "message": "client-id"}))
        frames = await frames_until(ws, lambda f: f["message"] == "client-id")
    assert [f["message"] for f in frames] == ["client-id"]


async def test_client_id_request(sim: Simulator) -> None:
    async with subscribed(sim) as (ws, confirmation):
        await ws.send(json.dumps({"id": "cid", "event_type": "system", "message": "client-id"}))
        reply = (await frames_until(ws, lambda f: f["message"] == "client-id"))[-1]
    client_id = confirmation["body"]["client_id"]
    assert (reply["event_type"], reply["ref_id"], reply["client_id"]) == ("system", "cid", client_id)
    assert reply["body"] == {"client-id": client_id}


@pytest.mark.parametrize(("sent", "error"), [
    ("this is not json", "invalid character 'h' in literal true (expecting 'r')"),
    (json.dumps(["a", "list"]), "json: cannot unmarshal array into Go value of type eventemitter.routingHeader"),
    (json.dumps({"id": 7, "event_type": "health"}),
     "json: cannot unmarshal number into Go struct field routingHeader.id of type string"),
    (json.dumps({"event_type": "nonsense", "message": "hello"}), "invalid message type nonsense"),
    (json.dumps({"event_type": "HEALTH", "message": "ping"}), "invalid message type HEALTH"),  # case-sensitive
])
async def test_bad_json_or_an_unknown_type_gets_an_error_frame_without_ids(sim: Simulator, sent: str,
                                                                           error: str) -> None:
    async with subscribed(sim, "health") as (ws, _):
        await ws.send(sent)
        frame = (await frames_until(ws, lambda f: f["message"] == "error"))[-1]
    assert set(frame) == {"id", "event_type", "timestamp", "message", "body"}
    assert frame["event_type"] == "global" and frame["body"] == {"error": error}


async def test_a_channel_with_no_handler_gets_an_error_frame_with_both_ids(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (ws, confirmation):
        await ws.send(json.dumps({"id": "x-1", "event_type": "pdfm", "message": "hello"}))
        frame = (await frames_until(ws, lambda f: f["message"] == "error"))[-1]
    assert frame["body"] == {"error": "no handlers registered for type pdfm"}
    assert (frame["ref_id"], frame["client_id"]) == ("x-1", confirmation["body"]["client_id"])


# ----------------------------------------------------------------------------- endings


@pytest.mark.parametrize("code", [None, 1012])
async def test_drop_all(sim: Simulator, code: int | None) -> None:
    async with subscribed(sim, "health") as (ws, _):
        await sim.drop_all(code)
        with pytest.raises(ConnectionClosed) as info:
            async with asyncio.timeout(1.5):
                while True:
                    await ws.recv()
    received = info.value.rcvd
    if code is None:
        assert received is None  # no close frame: the TCP connection was cut
    else:
        assert received is not None and received.code == code  # only when a test asks for one


async def test_shutdown_closes_without_a_close_frame_and_loses_what_was_queued() -> None:
    simulator = Simulator(token=TOKEN, hosts=2, vms=2, seed=3, frozen=True)
    runner, _ = await start(simulator=simulator)
    async with subscribed(simulator, "health") as (ws, _):
        simulator.hold = True
        lost = simulator.emit("health", "LAST_WORDS")
        await runner.cleanup()
        frames: list[str] = []
        with pytest.raises(ConnectionClosed) as info:
            async with asyncio.timeout(3):
                while True:
                    frames.append(await ws.recv())
    assert info.value.rcvd is None
    assert not any(lost in frame for frame in frames)
