"""Hostile frames: whatever the server (or something posing as it) sends, no exception escapes, every frame is
counted once, and the valid frames among the garbage are all applied. Property-based through parse_frame +
Feed (cluster + journal + export), then over real sockets on 127.0.0.1 through HubClient + Feed."""

from __future__ import annotations

import io
import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kit.client import fast_settings, feeding
from kit.hub import Conn, HubServer, standard_world
from kit.raw import RawHub
from kit.wait import wait_until
from kit.wire import HOST_A, MiB, frame, host_record, sized_frame, vm_record
from websockets.asyncio.server import ServerConnection

from tui.app.widgets.host_details import host_renderable, vm_renderable
from tui.live.feed import Feed
from tui.model.cluster import Cluster
from tui.model.describe import summary
from tui.model.journal import Gap, entry_record, write_entries
from tui.protocol.models import HostRecord
from tui.protocol.parse import Event, Malformed, Note, parse_frame

pytestmark = pytest.mark.timeout(120)


# ------------------------------------------------------------------------------------------------ strategies

H1 = "1" * 64
H2 = "2" * 64
#: the host the valid frames of a batch add their VMs to; no hostile template names it
VALID_HOST = "f" * 64

#: one valid frame of every shape the protocol reference lists (the hostile frames are these, mutated)
TEMPLATES: list[dict] = [
    {"id": "t", "event_type": "orchestrator", "timestamp": "2026-01-02T03:04:05.123456789Z",
     "message": message, "body": body}
    for message, body in [
        ("HOST_HEALTH_UPDATE", {"host_id": H1, "state": "healthy"}),
        ("HOST_WEBSOCKET_DISCONNECTED", {"host_id": H1, "state": "websocket_disconnected"}),
        ("HOST_WEBSOCKET_DEGRADED", {"host_id": H1, "state": "unhealthy"}),
        ("HOST_ADDED", {"host_id": H2, "host": "http://mac-9.local:80/api", "description": "new"}),
        ("HOST_REMOVED", {"host_id": H2, "host": "http://mac-9.local:80/api"}),
        ("HOST_DEPLOYED", {"host_id": H1, "host": "http://mac-1.local:80/api", "message": "deployed"}),
        ("HOST_STATS_UPDATE", {"host_id": H1, "stats": {"cpu_percent": 12.5, "memory_bytes": 1 << 30,
                                                         "goroutines": 40}}),
        ("HOST_LOGS_UPDATE", {"host_id": H1, "log": {"level": "warn", "message": "disk", "time": "t"}}),
        ("HOST_CATALOG_CACHE_EVENT", {"host_id": H1, "item": {"id": "c"}}),
        ("HOST_REVERSE_PROXY_EVENT", {"host_id": H1, "route": "r"}),
        ("HOST_VM_STATE_CHANGED", {"host_id": H1, "event": {"vm_id": "vm-t", "previous_state": "stopped",
                                                            "current_state": "running"}}),
        ("HOST_VM_ADDED", {"host_id": H1, "event": {"vm_id": "vm-n", "new_vm": vm_record("vm-n", H1, "n")}}),
        ("HOST_VM_UPDATED", {"host_id": H1, "event": {"vm_id": "vm-n", "new_vm": {"name": "n", "state": "paused",
                                                                                  "os_type": "ubuntu"}}}),
        ("HOST_VM_REMOVED", {"host_id": H1, "event": {"vm_id": "vm-n"}}),
        ("HOST_VM_UPTIME_CHANGED", {"host_id": H1, "event": {"vm_id": "vm-t", "uptime": "1261635"}}),
        ("HOST_VM_SNAPSHOTS_UPDATED", {"host_id": H1, "event": {"vm_id": "vm-t", "snapshots": [{"id": "s"}]}}),
        ("HOST_MAC_VMS_RUNNING_NOW", {"host_id": H1, "event": {"mac_vms_running": ["vm-t"]}}),
        ("HOST_SOMETHING_NEW", {"host_id": H1, "what": "unknown message"}),
    ]
] + [
    {"id": "t", "event_type": channel, "timestamp": "2026-01-02T03:04:05Z", "message": message, "body": body}
    for channel, message, body in [
        ("pdfm", "VM_STATE_CHANGED", {"vm_id": "p1", "previous_state": "running", "current_state": "paused"}),
        ("pdfm", "VM_ADDED", {"vm_id": "p2", "new_vm": {"ID": "p2", "Name": "local", "State": "running"}}),
        ("pdfm", "VM_REMOVED", {"vm_id": "p2"}),
        ("pdfm", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": []}),
        ("global", "WebSocket connection established subscribed to global by default",
         {"client_id": "c-1", "subscriptions": ["orchestrator", "health", "global"]}),
        ("global", "error", {"error": "no handlers registered"}),
        ("system", "client-id", {"client-id": "c-1"}),
        ("stats", "DISK_SPACE_CHANGED", {"free": 1}),
        ("job_manager", "JOB_UPDATED", {"id": "j", "steps": [{"progress": 50}]}),
        ("no_such_channel", "WHATEVER", [1, 2, 3]),
    ]
] + [{"id": "t", "event_type": "health", "timestamp": "2026-01-02T03:04:05Z", "message": "pong",
      "ref_id": "r", "client_id": "c-1"}]


def _paths(value, prefix=()):
    """Every key path in a JSON object (for mutation)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


MUTATIONS = [(i, path) for i, tmpl in enumerate(TEMPLATES) for path in _paths(tmpl)]

#: a value of the wrong type for every field of every template, and then some
WRONG = [None, True, False, 0, -1, 2**70, 10**400, 1.5, -0.0, math.inf, -math.inf, math.nan, "", "x", "\x00",
         "\udc80", "inf", "1e999",
         [], [None], ["a", 1], {}, {"k": None}, {"host_id": 5}, "9" * 400]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
json_values = st.recursive(
    json_leaf,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=10,
)


@st.composite
def mutated(draw) -> str:
    """A valid frame with one field replaced by a wrong type (or deleted), with a fresh or repeated id."""
    index, path = draw(st.sampled_from(MUTATIONS))
    value = json.loads(json.dumps(TEMPLATES[index]))
    value["id"] = draw(st.sampled_from(["dup-id", ""]) | st.text(max_size=8))
    target = value
    for key in path[:-1]:
        target = target[key]
    if draw(st.integers(0, 9)) == 0 and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = draw(st.sampled_from(WRONG) | json_values)
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@st.composite
def deep(draw) -> str:
    """Nesting from modest to far past any recursion limit, bare or inside a valid envelope."""
    depth = draw(st.sampled_from([50, 500, 5_000, 100_000]))
    left, right = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    nested = left * depth + "1" + right * depth
    if draw(st.booleans()):
        return nested
    message = draw(st.sampled_from(["HOST_STATS_UPDATE", "HOST_VM_ADDED", "JOB"]))
    return ('{"id":"deep","event_type":"orchestrator","message":"' + message + '","body":{"host_id":"'
            + H1 + '","stats":' + nested + ',"event":' + nested + "}}")


@st.composite
def huge(draw) -> str:
    size = draw(st.sampled_from([10_000, 100_000, 1_000_000]))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return "x" * size  # not JSON
    if kind == 1:  # a valid frame with a huge log line
        return frame("orchestrator", "HOST_LOGS_UPDATE", {"host_id": H1, "log": {"message": "y" * size}})
    return '{"id":"' + "i" * size + '","event_type":"orchestrator","message":"HOST_HEALTH_UPDATE"}'


invalid_utf8 = st.binary(min_size=1, max_size=40).map(lambda b: b"\xff" + b + b"\xc3")
#: a text frame as Python sees it after surrogateescape decoding of invalid UTF-8, and a JSON-escaped one
surrogates = st.sampled_from([
    '{"id":"s1","event_type":"orchestrator","message":"HOST_LOGS_UPDATE","body":{"host_id":"' + H1
    + '","log":{"message":"\\udc80\\ud800"}}}',
    '{"id":"s2","event_type":"stats","message":"\\udcff","body":{"\\udcfe":"\\ud83d"}}',
    '{"id":"s3","event_type":"orchestrator","message":"HOST_LOGS_UPDATE","body":{"host_id":"\udc80"}}',
    "\udcff\udcfe not even JSON",
])

hostile = st.one_of(
    json_values.map(json.dumps),
    mutated(),
    mutated(),
    deep(),
    huge(),
    invalid_utf8,
    surrogates,
    st.binary(max_size=32),
    st.sampled_from(["", b"", " ", "null", "{}", "[]", '""', "0", "{", "}", '{"event_type":null}']),
    st.text(max_size=40),
)

VALID = object()  # where a valid frame goes in a batch
batches = st.lists(st.one_of(hostile, st.just(VALID)), min_size=90, max_size=130)

_valid_ids = itertools.count(1)


def draw_model(cluster: Cluster) -> None:
    """What the details pane draws for every host and VM of the model (sparklines, sizes, durations)."""
    for host in list(cluster.hosts.values()):
        host_renderable(host, 0.0)
        for vm_id in list(host.vms):
            vm_renderable(cluster, host.id, vm_id, 0.0)


def valid_frame() -> tuple[str, str, str]:
    """A fresh valid frame adding one VM to VALID_HOST: (frame text, event id, vm id)."""
    n = next(_valid_ids)
    event_id, vm_id = f"valid-{n:058x}", f"vm-valid-{n}"
    text = frame("orchestrator", "HOST_VM_ADDED", {"host_id": VALID_HOST, "event": {
        "vm_id": vm_id, "new_vm": vm_record(vm_id, VALID_HOST, f"good-{n}", "suspended")}}, id=event_id)
    return text, event_id, vm_id


# ------------------------------------------------------------------------------------------------ property


def test_ten_thousand_hostile_frames_through_parse_and_feed():
    totals = {"frames": 0, "valid": 0, "batches": 0}

    @settings(max_examples=110, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(batches)
    def one_batch(batch):
        feed = Feed(Cluster())
        feed.cluster.load_snapshot([HostRecord(id=VALID_HOST)], [])  # the host is listed: its events apply
        journal = feed.journal
        valid: list[tuple[str, str]] = []
        for item in batch:
            if item is VALID:
                text, event_id, vm_id = valid_frame()
                valid.append((event_id, vm_id))
                item = text
            parsed = parse_frame(item)  # never raises
            assert isinstance(parsed, Event | Malformed)
            feed(parsed)  # nor does the model or the journal
            if isinstance(parsed, Event):
                summary(parsed)  # what the log draws for it
        draw_model(feed.cluster)
        # every frame counted once
        c = journal.counters()
        assert c["received"] == len(batch)
        assert c["received"] == c["applied"] + c["malformed"] + c["duplicates"] + c["late"]
        # every frame journaled once, in order (and a note for each new field that could not be read)
        frames = [e for e in journal if isinstance(e, Event | Malformed)]
        assert len(frames) == len(batch) and [e.seq for e in journal] == list(range(1, len(journal) + 1))
        # every valid frame applied, in the model and in the journal, never taken for a duplicate
        host = feed.cluster.hosts[VALID_HOST] if valid else None
        for _, vm_id in valid:
            assert host is not None and host.vms[vm_id].state == "suspended"
        applied = {e.id for e in journal if isinstance(e, Event) and not e.duplicate}
        assert {event_id for event_id, _ in valid} <= applied
        # the export holds every entry and reads back as JSON, whatever the frames carried
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # strict, like a real export file
        assert write_entries(out, list(journal)) == len(journal)
        out.flush()
        lines = out.buffer.getvalue().decode("utf-8").split("\n")[:-1]
        assert [json.loads(line)["seq"] for line in lines] == [e.seq for e in journal]
        totals["frames"] += len(batch)
        totals["valid"] += len(valid)
        totals["batches"] += 1

    one_batch()
    assert totals["frames"] >= 10_000, totals
    assert totals["valid"] >= 500, totals


def test_every_field_of_every_template_with_every_wrong_type():
    """The exhaustive version of the mutation strategy: no exception, counted once, each exactly once."""
    feed = Feed(Cluster())
    n = 0
    for index, path in MUTATIONS:
        for wrong in WRONG:
            value = json.loads(json.dumps(TEMPLATES[index]))
            value["id"] = f"m-{n}"
            unique = path != ("id",)
            target = value
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = wrong
            item = parse_frame(json.dumps(value))
            feed(item)
            if isinstance(item, Event):
                summary(item)
                assert not (unique and item.duplicate)
            n += 1
    draw_model(feed.cluster)
    c = feed.journal.counters()
    assert c["received"] == n == c["applied"] + c["malformed"] + c["duplicates"] + c["late"]
    assert c["malformed"] > 0 and c["applied"] > 0


# ------------------------------------------------------------------------------------------------ over a socket


GARBAGE: list[str | bytes] = [
    "this is not JSON",
    "",
    b"",
    b"\x00\x01\x02binary",
    b"\xff\xfe\xfd not utf-8",
    "[1, 2, 3]",
    "null",
    '{"event_type": 5, "message": []}',
    '{"id": "x", "event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"host_id": []}}',
    '{"id": "y", "event_type": "orchestrator", "message": "HOST_VM_ADDED", "body": "nope"}',
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 3_000 + "1" + "}" * 3_000,
    "z" * (2 * MiB),
    '{"id":"s","event_type":"orchestrator","message":"HOST_LOGS_UPDATE","body":{"host_id":"h1",'
    '"log":{"message":"\\udc80"}}}',
]


async def test_garbage_interleaved_with_valid_frames_over_a_socket():
    sent_valid: list[str] = []

    async def script(ws: ServerConnection) -> None:
        for i, junk in enumerate(GARBAGE * 3):
            text, event_id, _ = valid_frame()
            sent_valid.append(event_id)
            await ws.send(text)
            await ws.send(junk)
            if i % 4 == 0:  # a repeated id: a duplicate, counted, not applied twice
                await ws.send(text)

    async with RawHub(script) as raw:
        raw.hosts = [host_record(VALID_HOST, "valid.local")]
        async with feeding(fast_settings(raw.url)) as (client, feed, collector):
            expected = 1 + len(GARBAGE) * 3 * 2 + len(range(0, len(GARBAGE) * 3, 4))
            await wait_until(lambda: feed.journal.received >= expected, timeout=20, what="every frame")
            assert len(raw.connections) == 1 and client.state == "connected"
        c = feed.journal.counters()
        assert c["received"] == expected == c["applied"] + c["malformed"] + c["duplicates"] + c["late"]
        # every frame of GARBAGE is malformed (the JSON-escaped lone surrogate too: it is not text, and the
        # parser refuses it); each was sent 3 times, and the repeated valid frames are the duplicates
        garbage_events = [g for g in GARBAGE if isinstance(parse_frame(g), Event)]
        assert garbage_events == []
        assert c["duplicates"] == len(range(0, len(GARBAGE) * 3, 4))
        assert c["malformed"] == len(GARBAGE) * 3
        applied = [e.id for e in feed.journal if isinstance(e, Event) and e.id.startswith("valid-")
                   and not e.duplicate]
        assert applied == sent_valid  # all of them, in the order sent
        host = feed.cluster.hosts[VALID_HOST]
        assert len([v for v in host.vms.values() if v.name.startswith("good-")]) == len(sent_valid)
        assert not [n for n in feed.notes if n.level != "info"]


async def test_a_text_frame_that_is_not_utf8_is_explained_and_resynced():
    """RFC 6455 makes the client fail the connection on invalid UTF-8 in a text frame; hubtop says so, and
    reconnects and resyncs, and what came before and after is all there."""
    after: list[str] = []

    async def script(ws: ServerConnection) -> None:
        if len(raw.connections) == 1:
            await ws.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h1", "state": "unhealthy"},
                                id="before"))
            await wait_until(lambda: raw.snapshots >= 1, what="the snapshot")
            await ws.send(b"\xff\xfe{not utf-8", text=True)
        else:
            text, event_id, _ = valid_frame()
            after.append(event_id)
            await ws.send(text)

    async with RawHub(script) as raw:
        raw.hosts = [host_record("h1", "raw.local"), host_record(VALID_HOST, "valid.local")]
        async with feeding(fast_settings(raw.url)) as (client, feed, collector):
            await collector.wait(lambda c: c.connections >= 2 and after and any(
                isinstance(e, Event) and e.id == after[0] for e in feed.journal), what="the reconnect")
        notes = [e.text for e in feed.journal if isinstance(e, Note)]
        assert "the server sent a text frame that is not valid UTF-8; reconnected" in notes
        gaps = [e for e in feed.journal if isinstance(e, Gap)]
        assert len(gaps) == 1 and gaps[0].reason == "the server sent a text frame that is not valid UTF-8 (1007)"
        assert any(isinstance(e, Event) and e.id == "before" for e in feed.journal)


async def test_16_mib_accepted_larger_refused_through_the_feed(hub: HubServer):
    async def script(conn: Conn) -> None:
        if hub.conns.index(conn) == 0:
            await conn.send(sized_frame(16 * MiB, "big-ok", HOST_A))
            await conn.send(sized_frame(16 * MiB + 1, "big-refused", HOST_A))
        else:
            for i in range(5):
                await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE",
                                      {"host_id": HOST_A, "state": "unhealthy" if i % 2 else "healthy"},
                                      id=f"after-{i}"))

    hub.script = script
    standard_world(hub)
    async with feeding(fast_settings(hub.url)) as (client, feed, collector):
        await wait_until(lambda: sum(1 for e in feed.journal if isinstance(e, Event)
                                     and e.id.startswith("after-")) == 5, timeout=20, what="events after")
    entries = list(feed.journal)
    kinds = [(type(e).__name__, getattr(e, "id", "")) for e in entries]
    assert ("Event", "big-ok") in kinds and not any(i == "big-refused" for _, i in kinds)
    big = next(e for e in entries if isinstance(e, Event) and e.id == "big-ok")
    assert len(big.typed_body()["log"]["message"]) > 16 * MiB - 200
    notes = [e for e in entries if isinstance(e, Note)]
    assert [n.text for n in notes] == ["a frame larger than 16 MiB was refused; reconnected"]
    gaps = [e for e in entries if isinstance(e, Gap)]
    assert len(gaps) == 1 and gaps[0].reason == "frame too large"
    # the note comes before the gap and the events after the reconnect; every one of them applied
    order = [type(e).__name__ for e in entries]
    assert order.index("Note") < order.index("Gap")
    after = [e for e in entries if isinstance(e, Event) and e.id.startswith("after-")]
    assert [e.id for e in after] == [f"after-{i}" for i in range(5)] and not any(e.duplicate for e in after)
    assert feed.cluster.hosts[HOST_A].health == "healthy"  # after-4
    c = feed.journal.counters()
    assert c["received"] == c["applied"] + c["malformed"] + c["duplicates"] == 2 + 1 + 5  # 2 confirmations
    # the export of a 16 MiB event is whole
    assert len(json.dumps(entry_record(big))) > 16 * MiB
