"""Host service logs (tui/model/hostlogs.py), the search matcher (tui/model/matcher.py) and the event log's
search and mute (tui/model/logsearch.py) over a real journal."""

from __future__ import annotations

import json

import pytest

from tui.model.cluster import Cluster
from tui.model.hostlogs import SERVER, HostLogs, level_of
from tui.model.journal import Gap, GapKind, Journal
from tui.model.logsearch import LogFilter, MuteList, mute_key, row_text
from tui.model.matcher import PatternError, make_matcher
from tui.protocol.parse import Event, Malformed, Note, parse_frame
from tui.protocol.records import HostRecord, VMRecord
from tui.protocol.text import is_clean

HOST = "a" * 32

# ------------------------------------------------------------------ matcher


def test_plain_search_is_case_insensitive_with_spans():
    m = make_matcher("Disk")
    assert m is not None and not m.regex
    assert m.test("the DISK is full") and not m.test("nothing here")
    assert m.spans("disk, Disk and DISK") == ((0, 4), (6, 10), (15, 19))
    assert m.spans("a.b", 5) == () and make_matcher("a.b").spans("a.b axb") == ((0, 3),)  # plain: a dot is a dot


def test_regex_search():
    m = make_matcher(r"mac-mini-0\d\.", regex=True)
    assert m.test("host MAC-MINI-07.local") and not m.test("mac-mini-10.local")
    assert m.spans("mac-mini-01. mac-mini-02.") == ((0, 12), (13, 25))
    # escapes that mean something else in lower case keep their meaning
    assert make_matcher(r"\S+", regex=True).test("X") and not make_matcher(r"^\D$", regex=True).test("5")
    assert make_matcher(r"\x41", regex=True).test("a")  # a character named by number, case ignored too
    assert make_matcher(r"(?P<Word>ab)(?P=Word)", regex=True).test("ABab")
    assert make_matcher("x*", regex=True).spans("abc") == ()  # empty matches are not highlighted


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}", "(?P<x", "x" * 600])
def test_a_bad_pattern_says_why(pattern):
    with pytest.raises(PatternError) as err:
        make_matcher(pattern, regex=True)
    assert is_clean(err.value.message) and "\n" not in err.value.message


def test_an_empty_search_is_no_search():
    assert make_matcher("") is None


# ------------------------------------------------------------------ host logs


def test_levels():
    assert [level_of(x) for x in ("WARN", "err", "Fatal", "debug", "", None, "chatty")] == \
        ["warning", "error", "error", "debug", "info", "info", "info"]


def test_host_logs_filter_by_level_and_search():
    logs = HostLogs()
    logs.add(HOST, "info", "[API] GET /machines 200", "t1", 1.0)
    logs.add(HOST, "warning", "[Health] Disk usage at 91%", "t2", 2.0)
    logs.add(HOST, "error", "[Catalog] pull failed: disk full", "t3", 3.0)
    logs.add(HOST, "TRACE", "noise", "t4", 4.0)
    assert [m.line.text for m in logs.view(HOST, level="warning")] == ["[Health] Disk usage at 91%",
                                                                       "[Catalog] pull failed: disk full"]
    found = logs.view(HOST, matcher=make_matcher("disk"))
    assert [(m.line.level, m.spans) for m in found] == [("warning", ((9, 13),)), ("error", ((23, 27),))]
    assert [m.line.text for m in logs.view(HOST, "error", make_matcher("disk"))] == ["[Catalog] pull failed: disk full"]
    assert logs.view("unknown host") == []
    assert logs.lines(HOST)[-1].sent_level == "TRACE"


def test_host_logs_are_bounded_per_host_and_in_total():
    logs = HostLogs(per_host=3, total=5)
    for i in range(5):
        logs.add("quiet", "info", f"q{i}")
    for i in range(4):
        logs.add("busy", "info", f"b{i}")
    assert [x.text for x in logs.lines("busy")] == ["b1", "b2", "b3"]
    # the host quiet longest gives up lines to keep the total
    assert [x.text for x in logs.lines("quiet")] == ["q3", "q4"]
    assert len(logs) == 5
    for i in range(3):
        logs.add("busy", "info", f"c{i}")  # the busy host's own bound: the others keep theirs
    assert [x.text for x in logs.lines("quiet")] == ["q3", "q4"]
    logs.add("third", "info", "t0")
    logs.add("third", "info", "t1")
    assert "quiet" not in logs and len(logs) == 5 and logs.hosts() == ["busy", "third"]
    since = logs.last_seq("busy")
    logs.add("busy", "info", "new")
    assert [x.text for x in logs.lines("busy", since=since)] == ["new"]


def test_log_lines_are_safe_and_bounded():
    logs = HostLogs()
    line = logs.add(SERVER, "\x1b[31mred", "\x1b]0;title\x07" + "x" * 5000, "\u202e12:00")
    assert is_clean(line.time) and is_clean(line.sent_level) and "\x1b" not in line.text
    assert len(line.text) < 2100


def test_a_hosts_lines_keep_the_servers_order_when_delivered_out_of_it():
    # the real server can broadcast two lines of one host in either order: the frames' times decide
    cluster = Cluster()
    cluster.load_snapshot([host_record()], [])
    for n, second in ((1, 1), (2, 3), (3, 2), (4, 4)):  # the line written at :02 arrives after the one at :03
        item = parse_frame(json.dumps({"id": f"log{n}", "event_type": "orchestrator", "message": "HOST_LOGS_UPDATE",
                                       "timestamp": f"2026-01-01T00:00:0{second}Z",
                                       "body": {"host_id": HOST, "log": {"level": "info", "message": f"at {second}",
                                                                          "time": ""}}}), received_at=1000.0 + n)
        cluster.apply(item)
    logs = cluster.service_logs
    assert [m.line.text for m in logs.view(HOST)] == ["at 1", "at 2", "at 3", "at 4"]
    assert logs.last_seq(HOST) == 4  # the newest added, whatever its place


# ------------------------------------------------------------------ the event log


def host_record() -> HostRecord:
    return HostRecord.model_validate({"id": HOST, "host": "http://mac-studio-07.local/api", "state": "healthy"})


def frame(n: int, message: str, body: dict, channel: str = "orchestrator") -> Event:
    item = parse_frame(json.dumps({"id": f"e{n}", "event_type": channel, "message": message, "body": body,
                                   "timestamp": f"2026-01-01T00:00:{n % 60:02d}Z"}), received_at=1000.0 + n)
    assert isinstance(item, Event)
    return item


@pytest.fixture
def world() -> tuple[Cluster, Journal]:
    cluster = Cluster()
    cluster.load_snapshot([host_record()], [VMRecord.model_validate({"ID": "vm-1", "Name": "win11-build-9",
                                                                     "State": "running", "host_id": HOST})])
    journal = Journal(100)
    items = [
        frame(1, "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"cpu_percent": 12.5}}),
        frame(2, "HOST_VM_STATE_CHANGED", {"host_id": HOST, "event": {"vm_id": "vm-1", "previous_state": "running",
                                                                      "current_state": "stopped"}}),
        frame(3, "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"cpu_percent": 99.5}}),
        Note("resync asked: Disk pressure", "warning"),
        Malformed("not JSON", "{oops disk", 10),
        Gap(1.0, 2.0, 3, "a full flush", kind=GapKind.LOSS),
        frame(4, "System Log", {"level": "info", "message": "cache holds 4 items"}, channel="system_logs"),
    ]
    for item in items:
        if isinstance(item, Event):
            cluster.apply(item)
        journal.append(item)
    return cluster, journal


def scan(journal, cluster, pattern="", regex=False, mute=None) -> LogFilter:
    f = LogFilter(make_matcher(pattern, regex), mute)
    f.scan(journal, cluster.labels_of)
    return f


def test_search_over_message_host_vm_and_body(world):
    cluster, journal = world
    assert scan(journal, cluster, "stats").seqs == [1, 3]  # the message
    assert scan(journal, cluster, "STUDIO").seqs == [1, 2, 3]  # the host label
    assert scan(journal, cluster, "win11").seqs == [2]  # the VM label
    assert scan(journal, cluster, "99.5").seqs == [3]  # the body
    assert scan(journal, cluster, r"cpu_percent\W+1\d", regex=True).seqs == [1]
    assert scan(journal, cluster, "disk").seqs == [4, 5]  # a note and a malformed frame, by their text
    assert scan(journal, cluster, "flush").seqs == [6]


def test_spans_are_offsets_in_what_the_row_shows(world):
    cluster, journal = world
    f = scan(journal, cluster, "studio")
    entry = journal.get(2)
    host, vm = cluster.labels_of(entry.host_id, entry.vm_id)
    hit = f.hit(entry, host, vm)
    assert host[slice(*hit.host[0])].lower() == "studio"
    assert hit.message == () and hit.vm == () and not hit.body
    hit = scan(journal, cluster, "STATE").hit(entry, host, vm)
    assert row_text(entry)[slice(*hit.message[0])] == "STATE" and hit.body
    note = journal.get(4)
    hit = scan(journal, cluster, "disk").hit(note)
    assert row_text(note)[slice(*hit.message[0])] == "Disk"
    assert scan(journal, cluster, "x").spans("a summary: xx") == ((11, 12), (12, 13))


def test_mute_hides_types_and_channels_but_never_hubtops_own_rows(world):
    cluster, journal = world
    mute = MuteList([mute_key(journal.get(1))])
    assert mute.names() == ["HOST_STATS_UPDATE"]
    assert scan(journal, cluster, mute=mute).seqs == [2, 4, 5, 6, 7]
    mute.add("channel:system_logs")
    assert scan(journal, cluster, mute=mute).seqs == [2, 4, 5, 6]
    assert scan(journal, cluster, "studio", mute=mute).seqs == [2]
    assert mute_key(journal.get(4)) is None  # a note cannot be muted
    assert mute.toggle("HOST_STATS_UPDATE") is False and "HOST_STATS_UPDATE" not in mute
    assert MuteList(mute.names()).names() == mute.names()  # what is saved reads back


def test_mute_list_is_bounded_and_safe():
    mute = MuteList()
    for i in range(100):
        mute.add(f"T{i}")
    assert len(mute) == 64
    assert not MuteList().add("x" * 300) and not MuteList().add("")
    shown = MuteList(["EVIL\x1b]0;x\x07"]).shown()
    assert all(is_clean(s) for s in shown)


def test_a_scan_takes_only_what_is_new_and_forgets_what_left(world):
    cluster, journal = world
    f = scan(journal, cluster, "stats")
    assert f.seqs == [1, 3] and f.active
    for n in range(5, 105):
        item = frame(n, "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"cpu_percent": 1}})
        cluster.apply(item)
        journal.append(item)
    added = f.scan(journal, cluster.labels_of)
    assert added == 100
    assert f.seqs[0] == journal.first_seq and len(f.seqs) == 100
    assert f.scan(journal, cluster.labels_of) == 0
    assert "100 rows" in f.title()


def test_a_filter_knows_when_its_mute_list_changed(world):
    cluster, journal = world
    mute = MuteList()
    f = scan(journal, cluster, mute=mute)
    assert not f.active and not f.stale
    mute.add("HOST_STATS_UPDATE")
    assert f.stale and f.active
    f.reset()
    f.scan(journal, cluster.labels_of)
    assert not f.stale and 1 not in f.seqs
