"""Jobs from ``job_manager`` events (tui/model/jobs.py), applied through the Feed as the client delivers them."""

from __future__ import annotations

import itertools
import json

from tui.live.feed import Feed
from tui.model.cluster import Cluster
from tui.model.hostlogs import SERVER
from tui.model.jobs import MAX_JOBS, RAW_LIMIT, JobStore
from tui.protocol.items import Snapshot
from tui.protocol.parse import Event, parse_frame
from tui.protocol.records import HostRecord
from tui.protocol.text import is_clean

_ids = itertools.count(1)
HOST = "h" * 32


def job(state: str = "running", *, id: str = "job-1", updated: str = "2026-01-01T00:00:05Z", **extra) -> dict:
    return {"id": id, "owner": "u-1", "owner_name": "alice", "state": state, "message": "cloning disk",
            "progress": 45, "job_type": "virtual_machine", "job_operation": "clone",
            "steps": [{"name": "lock_source", "display_name": "Lock source", "state": "completed",
                       "current_percentage": 100.0, "message": "", "error": ""},
                      {"name": "clone_disk", "state": state, "current_percentage": 45.0, "message": "", "error": ""}],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": updated, **extra}


def frame(message: str, body: dict, ts: str = "2026-01-01T00:00:05Z") -> str:
    return json.dumps({"id": f"j{next(_ids)}", "event_type": "job_manager", "timestamp": ts, "message": message,
                       "body": body})


def ev(message: str, body: dict, ts: str = "2026-01-01T00:00:05Z") -> Event:
    item = parse_frame(frame(message, body, ts), received_at=1000.0)
    assert isinstance(item, Event)
    return item


def test_a_job_from_its_events():
    store = JobStore()
    store.apply(ev("JOB_CREATED", job("pending", progress=0, updated="2026-01-01T00:00:00Z")))
    store.apply(ev("JOB_UPDATED", job("running")))
    (j,) = store.listing()
    assert (j.id, j.host_id, j.state, j.progress, j.kind, j.owner) == ("job-1", "", "running", 45.0,
                                                                        "virtual_machine clone", "alice")
    assert j.message == "cloning disk" and not j.failed and not j.finished
    assert [s.line for s in j.steps] == ["Lock source completed 100%", "clone_disk running 45%"]
    assert j.last_event == "JOB_UPDATED"
    assert j.age(now=j.created() + 90) == 90.0
    assert j.frame()["body"]["state"] == "running"  # the frame as sent
    assert '"state": "running"' in j.json_text()


def test_an_older_update_never_rolls_a_job_back():
    store = JobStore()
    assert store.apply(ev("JOB_UPDATED", job("completed", updated="2026-01-01T00:00:09Z"))) == 0
    late = ev("JOB_UPDATED", job("running", updated="2026-01-01T00:00:05Z"))
    assert store.apply(late) != 0
    assert store.get(("", "job-1")).state == "completed"


def test_without_updated_at_the_frame_timestamp_orders():
    store = JobStore()
    store.apply(ev("JOB_UPDATED", job("completed", updated=""), ts="2026-01-01T00:00:09Z"))
    store.apply(ev("JOB_UPDATED", job("running", updated=""), ts="2026-01-01T00:00:03Z"))
    assert store.get(("", "job-1")).state == "completed"


def test_a_deleted_job_does_not_come_back_from_a_late_update():
    store = JobStore()
    store.apply(ev("JOB_UPDATED", job("completed", updated="2026-01-01T00:00:09Z")))
    store.apply(ev("JOB_DELETED", job("completed", updated="2026-01-01T00:00:20Z")))
    assert len(store) == 0
    store.apply(ev("JOB_UPDATED", job("running", updated="2026-01-01T00:00:10Z")))
    assert len(store) == 0


def test_a_hosts_job_is_kept_under_that_host():
    store = JobStore()
    store.apply(ev("JOB_CREATED", {"host_id": HOST, "event": job("running")}))
    store.apply(ev("JOB_CREATED", job("running")))  # the same id on the orchestrator: another job
    assert {j.key for j in store.listing()} == {(HOST, "job-1"), ("", "job-1")}


def test_failures_are_counted_once_as_they_happen():
    store = JobStore()
    store.apply(ev("JOB_UPDATED", job("running", updated="2026-01-01T00:00:01Z")))
    store.apply(ev("JOB_UPDATED", job("failed", error="clone_disk failed: timeout", updated="2026-01-01T00:00:02Z")))
    store.apply(ev("JOB_UPDATED", job("failed", error="clone_disk failed: timeout", updated="2026-01-01T00:00:03Z")))
    assert store.failures == 1 and store.failed == 1
    (j,) = store.failed_after(0)
    assert j.failed and j.said == "clone_disk failed: timeout"
    assert store.failed_after(1) == []


def test_bounded_finished_jobs_go_first():
    store = JobStore(max_jobs=3)
    store.apply(ev("JOB_CREATED", job("running", id="a")))
    store.apply(ev("JOB_CREATED", job("completed", id="b")))
    store.apply(ev("JOB_CREATED", job("running", id="c")))
    store.apply(ev("JOB_CREATED", job("running", id="d")))
    assert [j.id for j in store.listing()] == ["d", "c", "a"]
    assert store.evicted == 1
    assert MAX_JOBS >= 100


def test_a_huge_frame_keeps_its_fields_not_its_text():
    store = JobStore()
    store.apply(ev("JOB_UPDATED", job("running", result="x" * (RAW_LIMIT + 10))))
    (j,) = store.listing()
    assert j.raw == "" and j.frame()["id"] == "job-1" and "too large" in j.frame()["steps"]


def test_what_a_job_shows_is_safe_for_a_terminal():
    store = JobStore()
    nasty = "\x1b]52;c;aGk=\x07\u202e"
    store.apply(ev("JOB_UPDATED", job("fai\x1bled", message=nasty, owner_name=nasty, job_type=nasty,
                                      steps=[{"name": nasty, "state": nasty, "message": nasty}])))
    (j,) = store.listing()
    for text in (j.state, j.message, j.owner, j.kind, j.steps[0].line):
        assert is_clean(text), text
    assert "\x1b" not in j.json_text() and "\u202e" not in j.json_text()


def test_a_job_without_an_id_or_a_body_is_ignored():
    store = JobStore()
    store.apply(ev("JOB_UPDATED", {"state": "running"}))
    assert len(store) == 0


# ------------------------------------------------------------------ through the feed


def host_record() -> HostRecord:
    return HostRecord.model_validate({"id": HOST, "host": "http://mac-mini-01.local/api", "state": "healthy"})


def test_the_feed_applies_job_events_and_marks_late_ones():
    feed = Feed(Cluster())
    frames = [
        frame("JOB_CREATED", job("pending", updated="2026-01-01T00:00:01Z")),
        frame("JOB_UPDATED", job("failed", error="boom", updated="2026-01-01T00:00:09Z")),
        frame("JOB_UPDATED", job("running", updated="2026-01-01T00:00:05Z")),  # arrived late
        frame("JOB_UPDATED", {"host_id": HOST, "event": job("running", id="job-2")}),
    ]
    feed.many([parse_frame(f) for f in frames])
    jobs = feed.cluster.jobs
    assert {j.id: j.state for j in jobs.listing()} == {"job-1": "failed", "job-2": "running"}
    assert feed.journal.late == 1 and feed.journal.applied == 3
    late = feed.journal.get(3)
    assert isinstance(late, Event) and late.late
    assert feed.cluster.version == 0  # jobs change no host: the tree has nothing to redraw


def test_the_feed_keeps_host_and_server_service_logs():
    feed = Feed(Cluster())
    feed.handle(Snapshot([host_record()], []))
    log = {"host_id": HOST, "log": {"level": "WARN", "message": "disk usage at 91%", "time": "12:00:00"}}
    server = {"level": "info", "message": "[Orchestrator] polled 1 hosts", "time": "12:00:01"}
    feed.many([
        parse_frame(json.dumps({"id": "l1", "event_type": "orchestrator", "message": "HOST_LOGS_UPDATE",
                                "timestamp": "2026-01-01T00:00:01Z", "body": log})),
        parse_frame(json.dumps({"id": "l2", "event_type": "system_logs", "message": "System Log",
                                "timestamp": "2026-01-01T00:00:02Z", "body": server})),
    ])
    logs = feed.cluster.service_logs
    (line,) = logs.lines(HOST)
    assert (line.level, line.text, line.time) == ("warning", "disk usage at 91%", "12:00:00")
    assert [x.text for x in logs.lines(SERVER)] == ["[Orchestrator] polled 1 hosts"]
    # the details pane's recent lines are still there
    assert feed.cluster.hosts[HOST].logs[-1][2] == "disk usage at 91%"
