"""The model's share of "find what matters" (issue 15) at 1,000 hosts x 20 VMs, for ``bench tree``: the filter
grammar typed a keystroke at a time (parse and match, then the hosts sorted problems first, as a rebuild of the
tree's rows would), each sort order alone, the totals, and the event log's search and mute over a full
10,000-entry journal of what the simulated world sends (its own mix: VM changes, stats, logs, full VM records).

No app and no terminal: these are the plain-Python parts the UI calls inside ``Monitor.read``, so their cost
is what a keystroke or a tick pays before any painting.
"""

from __future__ import annotations

import gc
import time

from .common import median, percentile

HOSTS, VMS, SEED = 1000, 20, 7
JOURNAL = 10_000
#: typed a character at a time; every prefix is a keystroke (some are invalid on the way: ``state:``)
TYPED = ("state:running", "tag:ci -os:win", "health:un", "win11 state:run", "link:down", "arch:arm64 os:ubuntu",
         "-studio")
#: (pattern, regex) searched over the journal
SEARCHES = (("mac-mini-07", False), ("no-such-text", False), ("stopped", False), (r"HOST_VM_\w+.*stopped", True),
            (r'"cpu_percent":\s*\d+\.\d', True))


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def world_model():
    """A cluster seeded from the world's listings, and a full journal of the world's own events after it."""
    from pydantic import TypeAdapter

    from tui.model.cluster import Cluster
    from tui.model.journal import Journal
    from tui.protocol.models import HostRecord, VMRecord
    from tui.protocol.parse import parse_frame
    from tui.sim import World
    from tui.sim.frames import IdSource, encode_frame, now_rfc3339

    world = World(HOSTS, VMS, seed=SEED)
    cluster = Cluster()
    cluster.load_snapshot(TypeAdapter(list[HostRecord]).validate_python(world.hosts_json()),
                          TypeAdapter(list[VMRecord]).validate_python(world.machines_json()))
    journal = Journal(JOURNAL)
    ids = IdSource()
    while journal.seq < JOURNAL + 500:  # full, and past full: the ring has turned
        for channel, message, body in world.step(2.0):
            event = parse_frame(encode_frame(ids(), channel, message, body, timestamp=now_rfc3339()))
            if event.__class__.__name__ == "Event":
                cluster.apply(event)
            journal.append(event)
    return cluster, journal


def run_probes(reps: int) -> dict:
    from tui.model.logsearch import LogFilter, MuteList
    from tui.model.matcher import make_matcher
    from tui.model.query import QueryError, parse_query
    from tui.model.sorting import SortOrder, sorted_hosts, sorted_vms
    from tui.model.totals import totals

    cluster, journal = world_model()
    gc.collect()
    out: dict = {"keys": [], "key_match": [], "sorts": {}, "journal": len(journal),
                 "bytes": sum(len(getattr(e, "raw", "")) for e in journal), "searches": {}}
    hosts = cluster.hosts
    for _ in range(reps):
        for text in TYPED:
            for i in range(1, len(text) + 1):
                typed = text[:i]
                t0 = time.perf_counter()
                try:
                    shown = parse_query(typed).match(cluster).shown
                except QueryError:  # said in the filter line; the tree keeps its rows
                    shown = None
                t1 = time.perf_counter()
                if shown is not None:
                    sorted_hosts((hosts[h] for h in shown), SortOrder.PROBLEMS)
                out["key_match"].append(t1 - t0)
                out["keys"].append(time.perf_counter() - t0)
    for order in SortOrder:
        out["sorts"][order.label] = median([_timed(lambda o=order: sorted_hosts(hosts.values(), o))[0]
                                            for _ in range(reps * 3)])
    for host in hosts.values():  # the VMs' natural keys made once, as a first rebuild makes them
        sorted_vms(host)
    out["vm_sort"] = median([_timed(lambda: [sorted_vms(h) for h in hosts.values()])[0] for _ in range(reps * 3)])
    out["totals"] = median([_timed(lambda: totals(cluster))[0] for _ in range(reps * 3)])
    labels = cluster.labels_of
    for pattern, regex in SEARCHES:
        matcher = make_matcher(pattern, regex)
        times, rows = [], 0
        for _ in range(reps * 3):
            f = LogFilter(matcher, MuteList())
            t, _ = _timed(lambda f=f: f.scan(journal, labels))
            times.append(t)
            rows = len(f.seqs)
        out["searches"][(pattern, regex)] = (median(times), max(times), rows)
    mute = MuteList(["HOST_STATS_UPDATE", "HOST_VM_UPTIME_CHANGED"])
    times = []
    for _ in range(reps * 3):
        f = LogFilter(None, mute)
        times.append(_timed(lambda f=f: f.scan(journal, labels))[0])
    out["mute"] = (median(times), len(f.seqs))
    f = LogFilter(make_matcher("stopped"), mute)
    f.scan(journal, labels)
    rows = [journal.get(seq) for seq in f.seqs[-50:]]
    out["spans"] = _timed(lambda: [f.hit(e, *labels(e.host_id, e.vm_id)) for e in rows], reps * 3)[0]
    return out


def add_figures(result, out: dict, key_target: float) -> None:
    """The probes' figures, beside ``bench tree``'s own."""
    from .common import ms

    keys = out["keys"]
    k95 = percentile(keys, 95)
    result.add("filter grammar keystroke, model: parse + match + sort problems first (p95)",
               f"{ms(k95)} (median {ms(median(keys))}, max {ms(max(keys))}, n={len(keys)})",
               f"parse + match alone p95 {ms(percentile(out['key_match'], 95))}",
               f"<= {key_target * 1000:.0f} ms", k95 <= key_target)
    sorts = ", ".join(f"{name} {ms(t)}" for name, t in out["sorts"].items())
    worst = max(out["sorts"].values())
    result.add("sort 1,000 hosts (median, each order)", sorts, f"VMs of every host {ms(out['vm_sort'])}",
               f"<= {key_target * 1000:.0f} ms", worst + out["vm_sort"] <= key_target)
    result.add("totals at a glance (hosts by health and link, VMs by state)", ms(out["totals"]))
    worst_search = 0.0
    for (pattern, regex), (med, top, rows) in out["searches"].items():
        worst_search = max(worst_search, top)
        kind = "regex" if regex else "plain"
        result.add(f"log search over {out['journal']:,} entries, {kind} {pattern!r}", f"{ms(med)} (max {ms(top)})",
                   f"{rows:,} rows", "<= 100 ms", top <= 0.100)
    med, rows = out["mute"]
    result.add(f"log mute only (2 types) over {out['journal']:,} entries", ms(med), f"{rows:,} rows shown")
    result.add("  highlight spans for 50 rows on screen", ms(out["spans"]))
    result.note(f"log search journal: {out['journal']:,} entries of the world's own events, "
                f"{out['bytes'] / max(1, out['journal']):,.0f} bytes of frame text each on average")
