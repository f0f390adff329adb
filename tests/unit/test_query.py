"""The filter grammar of the ``/`` box (tui/model/query.py): words, keys, negation, problems-only, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.model.cluster import Cluster
from tui.model.query import KEYS, FilterResult, Query, QueryError, parse_query
from tui.protocol.parse import Event, parse_frame
from tui.protocol.records import HostRecord, VMRecord
from tui.protocol.text import is_clean

A, B, C = "aaaa1111" + "0" * 24, "bbbb2222" + "0" * 24, "cccc3333" + "0" * 24


def host(hid: str, name: str, **extra) -> HostRecord:
    rec = {"id": hid, "host": f"http://{name}:80/api", "architecture": "arm64", "has_websocket_events": True,
           "state": "healthy", **extra}
    return HostRecord.model_validate(rec)


def vm(vid: str, hid: str, name: str, state: str = "running", os: str = "ubuntu") -> VMRecord:
    return VMRecord.model_validate({"ID": vid, "Name": name, "State": state, "OS": os, "host_id": hid})


def event(message: str, body: dict, ts: str = "2026-01-01T00:00:01Z") -> Event:
    item = parse_frame(json.dumps({"id": f"{message}-{ts}-{body.get('host_id')}", "event_type": "orchestrator",
                                   "timestamp": ts, "message": message, "body": body}), received_at=1000.0)
    assert isinstance(item, Event)
    return item


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    c.load_snapshot(
        [host(A, "mac-mini-01.local", description="build farm", tags=["ci", "rack-a"]),
         host(B, "mac-studio-02.local", state="unhealthy", tags=["release"], architecture="x86_64"),
         host(C, "mac-pro-03.local", tags=["ci"])],
        [vm("vm-1", A, "win11-build-9", "running", "win-11"),
         vm("vm-2", A, "ubuntu-runner", "stopped", "ubuntu"),
         vm("vm-3", B, "win11-build-11", "suspended", "win-11"),
         vm("vm-4", C, "debian-cache", "starting", "debian")],
        now=500.0,
    )
    return c


def shown(cluster: Cluster, text: str, problems: bool = False) -> dict:
    return parse_query(text, problems).match(cluster).shown


def test_an_empty_query_shows_everything(cluster):
    q = parse_query("   ")
    assert not q
    result = q.match(cluster)
    assert result.shown == {A: None, B: None, C: None}
    assert (result.hosts, result.vms) == (3, 4)


def test_plain_words_match_as_the_tree_always_did(cluster):
    # hostname, description, host-id prefix: the whole host; a VM name or VM-id prefix: that VM
    assert shown(cluster, "studio") == {B: None}
    assert shown(cluster, "FARM") == {A: None}
    assert shown(cluster, "bbbb") == {B: None}
    assert shown(cluster, "win11") == {A: {"vm-1"}, B: {"vm-3"}}
    assert shown(cluster, "runner") == {A: {"vm-2"}}
    assert shown(cluster, "vm-4") == {C: {"vm-4"}}
    # the old filter gives the same answer for one word
    for word in ("studio", "farm", "bbbb", "runner", "vm-4", "nothing"):
        assert shown(cluster, word) == cluster.filter(word)


def test_words_are_anded_and_may_match_host_and_vm_together(cluster):
    assert shown(cluster, "mini win11") == {A: {"vm-1"}}
    assert shown(cluster, "studio win11") == {B: {"vm-3"}}
    assert shown(cluster, "mini studio") == {}


def test_vm_terms_match_vms_by_prefix(cluster):
    assert shown(cluster, "state:run") == {A: {"vm-1"}}
    assert shown(cluster, "state:s") == {A: {"vm-2"}, B: {"vm-3"}, C: {"vm-4"}}
    assert shown(cluster, "os:win") == {A: {"vm-1"}, B: {"vm-3"}}
    assert shown(cluster, "OS:Ubuntu") == {A: {"vm-2"}}
    assert shown(cluster, "vm:debian") == {C: {"vm-4"}}


def test_host_terms_take_the_whole_host(cluster):
    assert shown(cluster, "health:unhealthy") == {B: None}
    assert shown(cluster, "health:h") == {A: None, C: None}
    assert shown(cluster, "tag:ci") == {A: None, C: None}
    assert shown(cluster, "tag:rack") == {A: None}
    assert shown(cluster, "arch:x86") == {B: None}
    assert shown(cluster, "arch:amd64") == {B: None}  # another name for it
    assert shown(cluster, "arch:aarch") == {A: None, C: None}
    assert shown(cluster, "host:studio") == {B: None}
    assert shown(cluster, "host:win11") == {}  # host: looks at hosts only


def test_link_down_means_disconnected_or_degraded(cluster):
    assert shown(cluster, "link:down") == {}
    assert shown(cluster, "link:up") == {A: None, B: None, C: None}
    cluster.apply(event("HOST_WEBSOCKET_DISCONNECTED", {"host_id": A, "state": "websocket_disconnected"}))
    cluster.apply(event("HOST_WEBSOCKET_DEGRADED", {"host_id": C, "state": "unhealthy"}))
    assert shown(cluster, "link:down") == {A: None, C: None}
    assert shown(cluster, "link:degraded") == {C: None}
    assert shown(cluster, "-link:down") == {B: None}


def test_terms_are_anded_and_negation_flips_one(cluster):
    assert shown(cluster, "tag:ci state:running") == {A: {"vm-1"}}
    assert shown(cluster, "tag:ci -os:win") == {A: {"vm-2"}, C: {"vm-4"}}
    assert shown(cluster, "-tag:ci") == {B: None}
    # a negated word hides the hosts it names and the VMs it names elsewhere
    assert shown(cluster, "-studio") == {A: None, C: None}
    # mac-studio-02 is not named win11 itself: its row stays, without its win11 VM
    assert shown(cluster, "-win11") == {A: {"vm-2"}, B: set(), C: None}


def test_a_host_that_matches_keeps_its_row_when_none_of_its_vms_do(cluster):
    # mac-studio-02 is release-tagged; its only VM is a win11 one: the host row stays, with no VM under it
    assert shown(cluster, "tag:release -win11") == {B: set()}


def test_problems_only(cluster):
    # the unhealthy host with all its VMs, and the VM in a transitional state elsewhere
    assert shown(cluster, "!") == {B: None, C: {"vm-4"}}
    assert shown(cluster, "", problems=True) == {B: None, C: {"vm-4"}}
    q = parse_query("tag:ci").with_problems(True)
    assert q.problems and q.match(cluster).shown == {C: {"vm-4"}}
    assert "!" in q.describe()


def test_counts(cluster):
    result = parse_query("tag:ci").match(cluster)
    assert isinstance(result, FilterResult)
    assert (result.hosts, result.vms) == (2, 3)
    result = parse_query("state:s").match(cluster)
    assert (result.hosts, result.vms) == (3, 3)


def test_quotes_make_phrases_and_keep_colons_plain(cluster):
    q = parse_query('tag:"rack a" "a:b" -"build farm"')
    assert [(t.key, t.value, t.negate) for t in q.terms] == [("tag", "rack a", False), ("", "a:b", False),
                                                            ("", "build farm", True)]
    assert shown(cluster, '-"build farm"') == {B: None, C: None}
    assert q.describe() == 'tag:"rack a" a:b -"build farm"'


@pytest.mark.parametrize(("text", "says"), [
    ("foo:bar", "unknown filter 'foo:'"),
    ("state:", "'state:' needs a value"),
    (":running", "a name is missing"),
    ("-", "'-' needs a term"),
    ('tag:"ci', "not closed"),
    ("x" * 2000, "too long"),
    (" ".join(["a"] * 40), "too many terms"),
])
def test_invalid_text_says_why_in_one_short_line(text, says):
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert says in err.value.message
    assert "\n" not in err.value.message and len(err.value.message) < 200


def test_an_error_message_is_safe_for_a_terminal():
    with pytest.raises(QueryError) as err:
        parse_query("\x1b]52;c;aGk=\x07:x")
    assert is_clean(err.value.message)
    assert "\x1b" not in err.value.message


def test_every_key_documented_parses(cluster):
    for key, (_, _, example) in KEYS.items():
        q = parse_query(example)
        assert q.terms[0].key == key
        q.match(cluster)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab:-!" \t\x1b\u202eéstateo')), max_size=40))
def test_parsing_raises_only_query_errors_and_matching_never_raises(text):
    c = Cluster()
    c.load_snapshot([host(A, "mac-mini-01.local", tags=["ci"])], [vm("vm-1", A, "win11")])
    try:
        q = parse_query(text)
    except QueryError as err:
        assert is_clean(err.message)
        return
    assert isinstance(q, Query)
    assert is_clean(q.describe()) and is_clean(q.text)
    q.match(c)
