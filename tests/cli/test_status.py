"""``hubtop status``: the table, the JSON and the exit code follow the hub, snapshot and live stream (``--wait``),
through a drop, until SIGINT, into a closed pipe. In a subprocess, against the simulator on 127.0.0.1 whose world
is frozen (``kit.cli.cli_simulator``): nothing changes unless a test emits it (``sim.emit``), so what hubtop
says can be compared with ``sim.world``."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections import Counter

from kit.cli import (
    HEALTHY_SEED,
    HOSTS,
    ISO_MS,
    SICK_SEED,
    TOKEN,
    UUID,
    VMS,
    Run,
    accepted,
    assert_clean,
    cli_env,
    cli_simulator,
    finish,
    health_update,
    hostname,
    hubtop,
    link_update,
    shell,
    spawn,
    table_rows,
    vm_summary,
    with_token,
    world_hosts,
)
from kit.hub import Conn, HubServer
from kit.wire import HOST_A, host_record


async def test_status_table_of_a_healthy_world_exits_0(sim):
    # the connection options work before the subcommand and after it
    before, after = await asyncio.gather(
        hubtop("--url", sim.url, "--timeout", "15", "status", env=with_token()),
        hubtop("status", "--url", sim.url, "--timeout", "15", env=with_token()),
    )
    for run in (before, after):
        assert run.rc == 0, run.err
        assert run.err == ""
        lines = run.lines
        assert lines[0] == f"HUBTOP OK - {HOSTS} hosts; {HOSTS * VMS} VMs; all hosts healthy"
        server = re.fullmatch(r"server (\S+)  client (\S+)  channels (.+)", lines[1])
        assert server, lines[1]
        assert server[1] == sim.url and UUID.match(server[2]) and server[3] == "orchestrator, health, global"
        rows = table_rows(run)
        assert len(rows) == HOSTS
        for record in world_hosts(sim):
            row = rows[f"{hostname(record)} ({record['description']})"]
            assert row["STATE"] == "healthy"
            assert row["LINK"] == "connected"  # the record's has_websocket_events: the live link to the host
            assert row["VMS"] == vm_summary(sim, record["id"])
            # the world is frozen: nothing heard from any host since the listing
            assert row["LAST HEARD"] == "not yet (listed)", row
        assert lines[-1] == "events 1  malformed 0  duplicates 0"  # the confirmation; the world is frozen


GHOST = "f" * 64


EXIT_CASES = {
    # name: (seed, events to emit during --wait (index 0 = the first host), exit code, summary part)
    "unhealthy": (HEALTHY_SEED, lambda ids: [health_update(ids[0], "unhealthy")], 2, "unhealthy: {0}"),
    "link disconnected": (HEALTHY_SEED, lambda ids: [link_update(ids[1], "HOST_WEBSOCKET_DISCONNECTED",
                                                            "websocket_disconnected")],
                          1, "link disconnected: {1}"),
    "link degraded": (HEALTHY_SEED, lambda ids: [link_update(ids[2], "HOST_WEBSOCKET_DEGRADED", "unhealthy")],
                      1, "link degraded: {2}"),
    "health unknown": (HEALTHY_SEED, lambda ids: [("orchestrator", "HOST_STATS_UPDATE",
                                                   {"host_id": GHOST, "stats": {}})],
                       1, "events name 1 host or VMs that the listings do not have"),
    "unhealthy beats link down": (HEALTHY_SEED, lambda ids: [
        link_update(ids[0], "HOST_WEBSOCKET_DISCONNECTED", "websocket_disconnected"), health_update(ids[3], "unhealthy")],
        2, "unhealthy: {3}; link disconnected: {0}"),
    "recovered": (SICK_SEED, lambda ids: [health_update(i, "healthy") for i in ids], 0, "all hosts healthy"),
}


async def _exit_case(case: str) -> tuple[Run, list[str]]:
    seed, events, _, _ = EXIT_CASES[case]
    async with cli_simulator(seed=seed) as sim:
        records = world_hosts(sim)
        ids = [r["id"] for r in records]
        started = time.monotonic()
        proc = await spawn("--url", sim.url, "status", "--wait", "1", env=with_token())
        await accepted(sim, proc)
        for channel, message, body in events(ids):
            sim.emit(channel, message, body)
        run = await finish(proc, started)
    return run, [hostname(r) for r in records]


async def test_status_exit_code_follows_the_live_stream():
    # the cases run side by side (each against its own simulator) to keep the file quick
    results = await asyncio.gather(*(_exit_case(case) for case in EXIT_CASES))
    for case, (run, names) in zip(EXIT_CASES, results, strict=True):
        _, _, code, summary = EXIT_CASES[case]
        assert_clean(run)
        assert run.rc == code, f"{case}: {run.out}{run.err}"
        assert run.err == "", case
        level = {0: "OK", 1: "WARNING", 2: "CRITICAL"}[code]
        assert run.lines[0].startswith(f"HUBTOP {level} - "), f"{case}: {run.lines[0]}"
        assert summary.format(*names) in run.lines[0], f"{case}: {run.lines[0]}"


async def test_status_with_pdfm_the_server_itself_is_no_warning(sim):
    # pdfm events describe the server hubtop is connected to; no health is ever reported for it
    started = time.monotonic()
    proc = await spawn("--url", sim.url, "status", "--wait", "1.5", "--channels", "orchestrator,pdfm,health",
                       env=with_token())
    await accepted(sim, proc)
    sim.emit("pdfm", "VM_STATE_CHANGED", {"previous_state": "stopped", "current_state": "starting", "vm_id": "v-1"})
    run = await finish(proc, started)
    assert_clean(run)
    assert run.rc == 0, run.out + run.err
    assert run.lines[0] == f"HUBTOP OK - {HOSTS + 1} hosts; {HOSTS * VMS + 1} VMs; all hosts healthy"
    assert table_rows(run)["127.0.0.1 (this server)"]["VMS"] == "1 starting"


async def test_status_of_an_unhealthy_snapshot_exits_2():
    async with cli_simulator(seed=SICK_SEED) as sim:
        run = await hubtop("--url", sim.url, "status", env=with_token())
        sick = next(r for r in world_hosts(sim) if r["state"] == "unhealthy")
    assert run.rc == 2
    assert f"unhealthy: {hostname(sick)}" in run.lines[0]
    assert table_rows(run)[f"{hostname(sick)} ({sick['description']})"]["STATE"] == "unhealthy"


async def test_status_json_matches_the_world(sim):
    full, narrow = await asyncio.gather(
        hubtop("--url", sim.url, "status", "--json", env=with_token()),
        hubtop("status", "--json", "--url", f"{sim.url}/api", "--channels", "orchestrator", env=with_token()),
    )
    assert full.rc == narrow.rc == 0, full.err + narrow.err
    assert full.err == narrow.err == ""
    doc = json.loads(full.out)
    assert set(doc) == {"url", "client_id", "subscriptions", "generated_at", "verdict", "hosts", "totals", "events"}
    assert doc["verdict"] == {"code": 0, "level": "OK", "reasons": []}
    assert doc["url"] == sim.url
    assert doc["client_id"] in sim.sent_counts  # the id the simulator gave this connection
    assert doc["subscriptions"] == ["orchestrator", "health", "global"]
    assert ISO_MS.match(doc["generated_at"])
    machines = sim.world.machines_json()
    expected_hosts = sorted(world_hosts(sim), key=lambda r: (hostname(r), r["id"]))
    assert [h["id"] for h in doc["hosts"]] == [r["id"] for r in expected_hosts]
    for host, record in zip(doc["hosts"], expected_hosts, strict=True):
        assert set(host) == {"id", "name", "host", "description", "state", "link", "last_heard", "problems", "vms"}
        assert host["name"] == hostname(record)
        assert host["host"] == record["host"]
        assert host["description"] == record["description"]
        assert host["state"] == record["state"] == "healthy"
        assert host["link"] == "connected" and host["problems"] == []
        assert host["last_heard"] is None  # a frozen world: no event of the host's own since the listing
        vms = sorted(({"id": m["ID"], "name": m["Name"], "state": m["State"], "os": m["OS"], "unsure": False}
                      for m in machines if m["host_id"] == record["id"]), key=lambda v: (v["name"].lower(), v["id"]))
        assert host["vms"] == vms
    assert doc["totals"] == {
        "hosts": HOSTS,
        "hosts_by_state": {"healthy": HOSTS},
        "vms": len(machines),
        "vms_by_state": dict(sorted(Counter(m["State"] for m in machines).items())),
    }
    assert doc["events"] == {"received": 1, "malformed": 0, "duplicates": 0, "late": 0, "gaps": 0,
                             "suspected_losses": 0, "by_channel": {"global": 1}}
    # --channels, and a URL with the /api prefix spelt out
    other = json.loads(narrow.out)
    assert other["url"] == sim.url
    assert other["subscriptions"] == ["orchestrator", "global"]
    def without_time(hosts: list[dict]) -> list[dict]:
        return [{k: v for k, v in h.items() if k != "last_heard"} for h in hosts]

    assert without_time(other["hosts"]) == without_time(doc["hosts"])


async def test_status_stays_through_a_drop_and_counts_what_came_after():
    async with cli_simulator() as sim:
        target = world_hosts(sim)[1]
        started = time.monotonic()
        proc = await spawn("--url", sim.url, "status", "--json", "--wait", "4", env=with_token())
        await accepted(sim, proc)
        await asyncio.sleep(0.3)
        await sim.drop_all()  # TCP gone without a close frame
        await accepted(sim, proc, 2)
        sim.emit(*health_update(target["id"], "unhealthy"))
        run = await finish(proc, started)
    assert_clean(run)
    assert run.rc == 2, run.out + run.err  # the health update after the drop counted
    assert run.err == ""
    doc = json.loads(run.out)
    host = next(h for h in doc["hosts"] if h["id"] == target["id"])
    assert host["state"] == "unhealthy"
    assert len(doc["hosts"]) == HOSTS and sum(len(h["vms"]) for h in doc["hosts"]) == HOSTS * VMS
    assert doc["client_id"] in sim.sent_counts and UUID.match(doc["client_id"])
    # two confirmations (one per connection) and the health update
    assert doc["events"]["by_channel"] == {"global": 2, "orchestrator": 1}
    assert doc["events"]["received"] == 3


async def test_status_wait_ends_on_sigint_with_130(sim):
    proc = await spawn("--url", sim.url, "status", "--wait", "60", env=with_token())
    await accepted(sim, proc)
    await asyncio.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    run = await finish(proc, sent)
    assert_clean(run)
    assert run.rc == 130 and run.elapsed < 5
    assert run.err == ""


async def test_status_into_a_closed_pipe_ends_quietly():
    # far more JSON than a pipe holds, so the writer meets the closed pipe for sure
    async with cli_simulator(hosts=60, vms=10, seed=HEALTHY_SEED) as sim:
        run = await shell('"$PY" -m tui --url "$URL" status --json | head -1; exit "${PIPESTATUS[0]}"',
                          URL=sim.url, HUBTOP_TOKEN=TOKEN)
        unhealthy = any(h["state"] != "healthy" for h in world_hosts(sim))
    assert run.err == ""
    assert run.lines == ["{"]
    assert run.rc == (2 if unhealthy else 0)  # the verdict stands though the reader left


async def test_status_wait_whose_hub_dies_is_never_ok():
    async with HubServer() as hub:
        hub.hosts = [host_record(HOST_A, "a.local")]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.3)
            hub.subscribe_answers = [503] * 50  # gone for good
            conn.abort()

        hub.script = script
        proc = await spawn("status", "--wait", "3", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"))
        run = await finish(proc)
    assert run.rc == 3, (run.out, run.err)
    assert run.out.startswith("HUBTOP UNKNOWN") and "all hosts healthy" not in run.out
    assert "was lost at" in run.err and "not regained" in run.err and "last heard at" in run.err
    assert run.err.count("\n") == 1
