"""The one-pass parse_frame gives exactly what the two-pass parse_frame_slow gives, frame for frame: on the
simulator's frames (flood, world, server replies) and on random envelopes and stats (the hand-written edge cases
are in test_parse_fast_edges.py; the comparison itself is ``kit.fastparse.check``)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit.fastparse import AT, HOST, TS, check, fields, same, wire

from tui.protocol.models import (
    ORCHESTRATOR_BODIES,
    PDFM_BODIES,
    PDFM_TO_ORCHESTRATOR,
    VMRecord,
    drawable_stats,
)
from tui.protocol.parse import (
    Event,
    _validate_frame,
    known_event,
    parse_frame_slow,
)
from tui.sim import World
from tui.sim.frames import IdSource, encode_frame, rfc3339_nano

# ------------------------------------------------------------------------------------------------ the comparison


def test_the_comparison_sees_the_differences_that_matter():
    """A fast path that forgot to lower-case the channel or to drop NaN would be caught."""
    ev = parse_frame_slow(wire("Orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h"}), received_at=AT)
    assert isinstance(ev, Event) and ev.event_type == "orchestrator"
    wrong = Event(**{**fields(ev), "event_type": "Orchestrator"})
    assert not same(fields(wrong), fields(ev))
    assert not same({"host_id": "h", "stats": {"a": 1.0}}, {"host_id": "h", "stats": {"a": 1.0, "b": math.nan}})
    assert not same(VMRecord(id="v", name="a"), VMRecord(id="v", name="b"))
    assert not same(VMRecord(id="v"), VMRecord(id="v", name=""))  # fields set differ
    assert same(VMRecord(id="v", name="a"), VMRecord(id="v", name="a"))
    assert not same({"a": 1}, {"a": 1.0}) and not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert same({"a": math.nan}, {"a": math.nan})


# ------------------------------------------------------------------------------------------------ simulator frames


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
def test_flood_frames(seed):
    frames = World(50, 8, seed=seed).flood_frames(5000)
    for text in frames:
        assert isinstance(check(text), Event)
    # and they really take the one-pass path: the validator hands back the typed frame, not an Envelope
    assert all(type(_validate_frame(text, strict=True)) is dict for text in frames)
    assert all(known_event(text) for text in frames)  # and tail passes them on as they are


def world_events(seed: int, seconds: int = 1800, per_kind: int = 40) -> list[tuple[str, str, Any]]:
    """Up to ``per_kind`` of each (channel, message) a small world sends in half an hour, plus the pdfm form
    of every orchestrator VM event (the simulator sends those only for its own few VMs)."""
    world = World(8, 8, seed=seed)
    kept: dict[tuple[str, str], list[Any]] = {}
    for _ in range(seconds // 60):
        for channel, message, body in world.step(60):
            bucket = kept.setdefault((channel, message), [])
            if len(bucket) < per_kind:
                bucket.append(body)
    to_pdfm = {orch: pdfm for pdfm, orch in PDFM_TO_ORCHESTRATOR.items()}
    for (channel, message), bodies in list(kept.items()):
        if channel == "orchestrator" and message in to_pdfm:
            kept.setdefault(("pdfm", to_pdfm[message]), []).extend(body["event"] for body in bodies)
    return [(channel, message, body) for (channel, message), bodies in kept.items() for body in bodies]


@pytest.mark.parametrize("seed", [3, 11])
def test_world_frames(seed):
    events = world_events(seed)
    kinds = {(channel, message) for channel, message, _ in events}
    never = {"HOST_DEPLOYED", "HOST_REVERSE_PROXY_EVENT"}  # the simulator does not send them: see EDGE
    must = {("orchestrator", m) for m in ORCHESTRATOR_BODIES if m not in never} | {
        ("pdfm", m) for m in PDFM_BODIES
    } | {("stats", "System Stats"), ("system_logs", "System Log"), ("job_manager", "JOB_CREATED")}
    assert must <= kinds
    ids = IdSource(random.Random(seed))
    for channel, message, body in events:
        assert isinstance(check(encode_frame(ids(), channel, message, body, timestamp=TS)), Event)


def test_server_replies():
    """What the simulator's server writes itself: confirmation, pong, client-id and error frames."""
    ids = IdSource(random.Random(5))
    client = "338a28f7-666e-46e1-8e7d-4feba5edc061"
    ts = rfc3339_nano(1_785_000_000_123_000_000)
    frames = [
        encode_frame(ids(), "global", "WebSocket connection established subscribed to global by default",
                     {"client_id": client, "subscriptions": ["orchestrator", "health", "global"]}, timestamp=ts),
        encode_frame(ids(), "health", "pong", timestamp=ts, ref_id="ping-1", client_id=client),
        encode_frame(ids(), "health", "pong", timestamp=ts, ref_id="", client_id=client),
        encode_frame(ids(), "system", "client-id", {"client-id": client}, timestamp=ts, client_id=client),
        encode_frame(ids(), "global", "error", {"error": "unknown health message 'x'"}, timestamp=ts, ref_id="r",
                     client_id=client),
        encode_frame(ids(), "global", "error", {"error": "invalid message format: not JSON"}, timestamp=ts,
                     ref_id="", client_id=client),
    ]
    for text in frames:
        assert isinstance(check(text), Event)
    assert type(_validate_frame(frames[3], strict=True)) is dict  # client-id and error take the one pass
    assert type(_validate_frame(frames[4], strict=True)) is dict


# ------------------------------------------------------------------------------------------------ properties


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from([2**1023, 2**1023 + 1, -(2**1024), 10**400, 1e308, -0.0, 1e20, 1e-7]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


scalars = st.text(max_size=12) | st.integers() | st.floats() | st.none() | st.booleans()


BODY_KEYS = ["host_id", "state", "host", "description", "message", "stats", "log", "event", "vm_id", "new_vm",
             "previous_state", "current_state", "uptime", "snapshots", "mac_vms_running", "error", "client-id",
             "client_id", "subscriptions", "level", "time"]


VM_KEYS = ["ID", "id", "Id", "vm_id", "Name", "name", "State", "state", "OS", "os", "os_type", "Uptime", "uptime",
           "Description", "description", "host_id", "host_name", "Type"]


KNOWN = [*ORCHESTRATOR_BODIES, *PDFM_BODIES, "error", "client-id"]


def record(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), scalars | json_values, max_size=6)


bodies = st.recursive(
    record(VM_KEYS),
    lambda children: st.dictionaries(st.sampled_from(BODY_KEYS), children | scalars | json_values, max_size=5),
    max_leaves=6,
) | json_values


@settings(max_examples=400, deadline=None)
@given(
    channel=st.sampled_from(["orchestrator", "pdfm", "global", "system", "health", "Orchestrator", "PDFM"])
    | scalars,
    message=st.sampled_from(KNOWN) | scalars,
    body=bodies,
    extra=st.dictionaries(st.sampled_from(["id", "timestamp", "ref_id", "client_id", "junk"]), scalars),
    omit_body=st.booleans(),
)
def test_any_envelope_parses_the_same(channel, message, body, extra, omit_body):
    frame = {"event_type": channel, "message": message, **extra}
    if not omit_body:
        frame["body"] = body
    check(json.dumps(frame))


stats_values = st.floats() | st.integers() | st.sampled_from([2**1023, 2**1023 + 1, -(2**1023) - 1, 2**1024, 10**400,
                                                             1e308, True, None, "x", [1.0]])


@settings(max_examples=300, deadline=None)
@given(stats=st.dictionaries(st.text(max_size=6), stats_values, max_size=8) | st.none())
def test_any_stats_parse_the_same(stats):
    ev = check(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": stats}))
    # both keep the stats as sent, and drawable_stats drops exactly the numbers nothing can draw, as a plain
    # check of each value does
    assert isinstance(ev, Event) and same(ev.body["stats"], json.loads(json.dumps(stats)))
    expected = {k: v for k, v in (stats or {}).items() if not undrawable(v)}
    assert same(drawable_stats(ev.body["stats"]), json.loads(json.dumps(expected)))
    assert same(drawable_stats(stats), expected)


STATS = [
    {"a": 2**1023 + 1, "b": 1},
    {"a": -(2**1023) - 1, "b": 1.5},
    {"a": 2**1023, "b": -(2**1023), "c": 2**1024, "d": 10**400},
    {"a": 8.98846567431158e307, "b": 2**1023 - 1},
    {"a": 1e308, "b": 1e308, "c": math.inf},
    {"a": 1e308, "b": 1e308},
    {"a": math.nan, "b": "x", "c": None, "d": True, "e": [math.nan]},
    {"a": -math.inf, "b": 0.0, "c": -0.0},
    {},
    None,
]


@pytest.mark.parametrize("stats", STATS, ids=[f"stats-{i}" for i in range(len(STATS))])
def test_stats_drop_exactly_what_nothing_can_draw(stats):
    expected = {k: v for k, v in (stats or {}).items() if not undrawable(v)}
    assert same(drawable_stats(stats), expected)
    ev = check(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": stats}))
    assert isinstance(ev, Event) and same(drawable_stats(ev.body["stats"]), json.loads(json.dumps(expected)))
    if not (stats or {}).keys() - expected.keys():  # nothing dropped: the same dict, not a copy
        assert drawable_stats(ev.body["stats"]) is ev.body["stats"] or stats is None


def undrawable(x: Any) -> bool:
    return (type(x) is float and not math.isfinite(x)) or (type(x) is int and abs(x) > 2**1023)
