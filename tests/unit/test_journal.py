"""The journal (bounded, numbered, counted, exportable) and the feed that fills it (gap rows after a resync, the
rate that says the server may be dropping events)."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from kit.client import FakeClock, counters_add_up, drive, stats_event
from kit.wire import HOST_A, host_record, vm_record

from tui.live.feed import OVERLOAD_SHARE, SERVER_FLUSH_S, SERVER_QUEUE, Feed
from tui.model.cluster import Cluster
from tui.model.journal import DEFAULT_SIZE, Gap, Journal
from tui.protocol.models import HostRecord, VMRecord
from tui.protocol.parse import Event, Malformed, Note, parse_frame
from tui.transport.client import Snapshot, Status


def frame(n: int, channel: str = "orchestrator", message: str = "HOST_HEALTH_UPDATE", id: str | None = None) -> str:
    return json.dumps({"id": id if id is not None else f"id-{n}", "event_type": channel, "message": message,
                       "timestamp": "2025-01-01T00:00:00.123456789Z",
                       "body": {"host_id": HOST_A, "state": "healthy" if n % 2 else "unhealthy"}})


def test_default_size_is_10000_and_ring_is_bounded():
    j = Journal()
    assert j.size == DEFAULT_SIZE == 10_000
    for n in range(10_050):
        j.append(parse_frame(frame(n), received_at=float(n)))
    assert len(j) == 10_000
    assert j.first_seq == 51 and j.seq == 10_050 and j.evicted == 50
    assert j.received == 10_050  # counters cover everything ever received
    assert j.get(50) is None and j.get(51).id == "id-50" and j.get(10_050).id == "id-10049"
    assert j.get(10_051) is None and j.get(0) is None


def test_size_is_configurable_and_seq_and_arrival_times_are_kept():
    j = Journal(3)
    items = [parse_frame(frame(n), received_at=100.0 + n) for n in range(5)]
    for item in items:
        assert j.append(item) is item
    assert [e.seq for e in j] == [3, 4, 5]
    assert [e.received_at for e in j] == [102.0, 103.0, 104.0]
    assert Journal(0).size == 1


def test_large_frames_are_bounded_by_bytes_and_the_rest_by_count():
    j = Journal(size=100, bytes_budget=1_000_000)
    big = json.dumps({"id": "x", "event_type": "orchestrator", "message": "HOST_LOGS_UPDATE",
                      "body": {"host_id": "h", "log": {"level": "info", "message": "m" * 300_000, "time": ""}}})
    small = [parse_frame(frame(n)) for n in range(50)]
    for i in range(10):
        item = parse_frame(big.replace('"id": "x"', f'"id": "big{i}"'))
        assert isinstance(item, Event)
        j.append(item)
        for event in small[i * 5:(i + 1) * 5]:
            j.append(event)
    held = list(j.entries)
    large = [e for e in held if len(e.raw) > 4096]
    # at most three 300 KB frames fit a 1 MB budget: the older ones went early, small ones with them
    assert len(large) == 3 and sum(len(e.raw) for e in large) <= 1_000_000
    assert [e.id for e in large] == ["big7", "big8", "big9"]  # the newest kept, the oldest let go early
    assert held[0].seq > 1 and held[-1].seq == 60
    assert j.seq == 60 and j.received == 60  # counted, whatever was let go
    for n in range(200):  # and ordinary frames are bounded by the count alone
        j.append(parse_frame(frame(1000 + n)))
    assert len(j.entries) == 100 and not [e for e in j.entries if len(e.raw) > 4096]


def test_counters_by_channel_malformed_duplicates():
    j = Journal()
    c = Cluster()
    frames = [frame(1), frame(2, "health", "pong"), frame(1), "{broken", b"\x00", frame(3, "quantum", "X"), frame(1)]
    for text in frames:
        item = parse_frame(text)
        if isinstance(item, Event):
            c.apply(item)
        j.append(item)
    j.append(Note("a note"))
    j.append(Gap(1.0, 2.0, 3))
    assert j.counters() == {"received": 7, "applied": 3, "malformed": 2, "duplicates": 2, "late": 0, "gaps": 1,
                            "suspected_losses": 0,
                            "by_channel": {"health": 1, "orchestrator": 3, "quantum": 1}}
    assert j.received == j.applied + j.malformed + j.duplicates
    assert j.seq == 9 and len(j) == 9  # notes and gaps are numbered but are not frames


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 8).map(frame), st.just("nope"), st.just(b"\x01"),
                          st.integers(0, 8).map(lambda n: frame(n, "pdfm", "VM_REMOVED"))), max_size=60),
       st.integers(1, 20))
def test_received_is_applied_plus_malformed_plus_duplicates(frames, size):
    feed = Feed(Cluster(), journal_size=size)
    for text in frames:
        feed(parse_frame(text))
    j = feed.journal
    assert j.received == len(frames) == j.applied + j.malformed + j.duplicates
    assert len(j) == min(size, len(frames))
    assert [e.seq for e in j] == list(range(len(frames) - len(j) + 1, len(frames) + 1))


def test_export_json_lines(tmp_path):
    j = Journal()
    c = Cluster()
    ev = parse_frame(frame(1), received_at=10.0)
    c.apply(ev)
    j.append(ev)
    dup = parse_frame(frame(1), received_at=11.0)
    c.apply(dup)
    j.append(dup)
    j.append(parse_frame("not json\nat all", received_at=12.0))
    j.append(Gap(1000.0, 1060.0, 4, "server going away (1001)", received_at=13.0))
    j.append(Note("unsubscribed from pdfm", "info", received_at=14.0))
    path = tmp_path / "journal.jsonl"
    assert j.export(path) == 5
    lines = path.read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["kind"] for r in recs] == ["event", "event", "malformed", "gap", "note"]
    assert [r["seq"] for r in recs] == [1, 2, 3, 4, 5]
    assert recs[0]["frame"] == json.loads(frame(1)) and recs[0]["received_at"] == 10.0 and "duplicate" not in recs[0]
    assert recs[1]["duplicate"] is True
    assert recs[2]["reason"].startswith("not JSON") and recs[2]["excerpt"] == "not json\\nat all"
    assert recs[3]["changes"] == 4 and recs[3]["text"].startswith("disconnected ")
    assert recs[4] == {"seq": 5, "received_at": 14.0, "kind": "note", "level": "info", "text": "unsubscribed from pdfm"}


# ------------------------------------------------------------------------------------------------ feed


def local_ts(h: int, m: int, s: int) -> float:
    return datetime(2025, 3, 4, h, m, s).timestamp()


def test_feed_applies_journals_and_keeps_status():
    feed = Feed(Cluster())
    feed(Snapshot([HostRecord.model_validate(host_record(HOST_A, "a.local"))], [], None, at=1.0))
    feed(parse_frame(frame(1)))
    feed(parse_frame("garbage"))
    feed(Note("hello"))
    st_ = Status("connected", "connected", client_id="c")
    feed(st_)
    assert feed.cluster.hosts[HOST_A].health == "healthy"
    assert [type(e).__name__ for e in feed.journal] == ["Event", "Malformed", "Note"]  # first connect: no gap
    assert feed.status is st_ and feed.snapshots == 1 and list(feed.notes)[-1].text == "hello"


def test_gap_row_after_a_reconnect_snapshot():
    feed = Feed(Cluster())
    hosts = [HostRecord.model_validate(host_record(HOST_A, "a.local"))]
    feed(Snapshot(hosts, [VMRecord.model_validate(vm_record("v1", HOST_A, "one"))], None, at=local_ts(10, 0, 0)))
    assert feed.last_gap is None
    # while down: v1 stopped, v2 appeared
    feed(Snapshot(hosts, [VMRecord.model_validate(vm_record("v1", HOST_A, "one", "stopped")),
                          VMRecord.model_validate(vm_record("v2", HOST_A, "two"))],
                  down_since=local_ts(10, 15, 2), reason="connection lost without a close frame",
                  at=local_ts(10, 15, 9)))
    gap = feed.last_gap
    assert gap is not None and list(feed.journal)[-1] is gap
    assert gap.text == "disconnected 10:15:02-10:15:09 (connection lost without a close frame), resynced: 2 changes"
    assert gap.reason == "connection lost without a close frame"
    assert feed.cluster.vm(HOST_A, "v1").state == "stopped"


def test_gap_with_nothing_changed():
    feed = Feed(Cluster())
    feed(Snapshot([], [], None, at=1.0))
    feed(Snapshot([], [], down_since=local_ts(23, 59, 58), at=local_ts(23, 59, 59)))
    assert feed.last_gap.text == "disconnected 23:59:58-23:59:59, resynced: 0 changes"


def test_feed_malformed_does_not_disturb_the_model():
    feed = Feed(Cluster())
    feed(parse_frame(json.dumps({"id": "add", "event_type": "orchestrator", "message": "HOST_ADDED",
                                 "body": {"host_id": HOST_A}})))
    feed(parse_frame(frame(1)))
    item = parse_frame('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"host_id": []}}')
    assert isinstance(item, Malformed)
    feed(item)
    feed(parse_frame(frame(2)))
    assert feed.cluster.hosts[HOST_A].health == "unhealthy"
    assert feed.journal.counters()["malformed"] == 1


def test_overload_is_when_the_rate_stays_near_what_the_server_can_queue():
    limit = OVERLOAD_SHARE * SERVER_QUEUE / SERVER_FLUSH_S
    assert SERVER_QUEUE / SERVER_FLUSH_S == 20_480 and limit == 16_384
    clock = FakeClock()
    feed = Feed(clock=clock)
    feed.handle(stats_event())
    clock.t += 1
    assert not feed.overloaded()
    # one burst of 2,048 is nothing to warn about
    drive(feed, clock, 2048, 1)
    assert not feed.overloaded()
    # just under the limit, for the whole window: still fine
    drive(feed, clock, 16_383, 5)
    assert feed.rate() < limit and not feed.overloaded()
    # at the limit for the whole window: the server may be dropping events
    drive(feed, clock, 16_384, 5)
    assert feed.rate() == limit and feed.overloaded()
    assert feed.channel_rate("stats") == limit
    # and it clears when the rate falls
    drive(feed, clock, 100, 5)
    assert not feed.overloaded()
    counters_add_up(feed)
