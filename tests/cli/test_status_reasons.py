"""``status`` says why: the verdict's reasons (host, what, since when) in ``--json`` and under the table's summary
line, for changes seen live (the reordering simulator) and for a connection lost during ``--wait``."""

from __future__ import annotations

import asyncio
import json
import re
import time

from kit.cli import (
    HEALTHY_SEED,
    HOSTS,
    TOKEN,
    VMS,
    accepted,
    finish,
    hostname,
    spawn,
    with_token,
    world_hosts,
)
from kit.sim import simulator

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _status(*flags: str):
    async with simulator(token=TOKEN, hosts=HOSTS, vms=VMS, seed=HEALTHY_SEED, frozen=True) as sim:
        hosts = world_hosts(sim)
        assert all(h["state"] == "healthy" for h in hosts)
        started = time.monotonic()
        proc = await spawn("--url", sim.url, "status", "--wait", "2", *flags, env=with_token())
        await accepted(sim, proc)
        await asyncio.sleep(0.3)
        sim.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": hosts[0]["id"], "state": "unhealthy"})
        sim.emit("orchestrator", "HOST_WEBSOCKET_DISCONNECTED", {"host_id": hosts[1]["id"],
                                                                 "state": "websocket_disconnected"})
        run = await finish(proc, started)
    return run, [hostname(h) for h in hosts], [h["id"] for h in hosts]


async def test_the_json_verdict_names_each_reason_with_since_when():
    run, names, ids = await _status("--json")
    assert run.rc == 2, run.err
    verdict = json.loads(run.out)["verdict"]
    assert (verdict["code"], verdict["level"]) == (2, "CRITICAL")
    reasons = verdict["reasons"]
    assert [(r["level"], r["host_id"], r["host"], r["what"]) for r in reasons] == [
        ("CRITICAL", ids[0], names[0], "unhealthy"), ("WARNING", ids[1], names[1], "link disconnected")]
    assert all(ISO.match(r["since"]) for r in reasons)  # seen live: since when hubtop saw it


async def test_the_table_prints_the_reasons_under_the_summary_line():
    run, names, _ = await _status()
    assert run.rc == 2, run.err
    summary, first, second = run.lines[:3]
    assert summary.startswith("HUBTOP CRITICAL - 4 hosts")
    assert re.match(rf"^  CRITICAL {re.escape(names[0])}: unhealthy \(since \d\d:\d\d:\d\d, \d+s ago\)$", first)
    assert re.match(rf"^  WARNING  {re.escape(names[1])}: link disconnected \(since \d\d:\d\d:\d\d, \d+s ago\)$",
                    second)
