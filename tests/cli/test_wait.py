"""``hubtop wait``: against the simulator in its default (reordering) mode, a VM started through its control
endpoint is waited for; against scripted hubs, the exit codes, ambiguity, reconnects, and the reconciled model
(a state reached only by a late event, a suspected loss) decide, never one raw event."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from kit.cli import TOKEN, cli_env, finish, hubtop, spawn, with_token
from kit.hub import HubServer
from kit.raw import free_port
from kit.sim import simulator
from kit.wire import HOST_A, HOST_B, envelope, frame, host_record, vm_record

from tui.commands.wait import Target, _Watched, check
from tui.model.cluster import Cluster
from tui.protocol.items import Loss, Snapshot
from tui.protocol.parse import parse_frame
from tui.protocol.records import HostRecord, VMRecord

ESC = "\x1b"


def stopped_vm(sim) -> dict:
    return next(m for m in sim.world.machines_json() if m["State"] == "stopped"
                and any(h["id"] == m["host_id"] and h["state"] == "healthy" for h in sim.world.hosts_json()))


async def test_wait_for_a_vm_started_through_the_api_reordering_simulator():
    # the default simulator reorders orchestrator frames as the real server does; frozen: only our start moves
    async with simulator(token=TOKEN, frozen=True, hosts=3, vms=4, seed=5) as sim:
        assert sim.reorder
        vm = stopped_vm(sim)
        started = time.monotonic()
        proc = await spawn("--url", sim.url, "wait", "vm", vm["Name"], "--state", "running", "--timeout", "30",
                           "--json", env=with_token())
        await asyncio.sleep(1.0)  # connected and waiting (its snapshot says stopped)
        async with httpx.AsyncClient(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            answer = await http.put(f"/api/v1/orchestrator/machines/{vm['Name']}/start")
            assert answer.status_code == 200, answer.text
        run = await finish(proc, started)
    assert run.rc == 0, run.err
    doc = json.loads(run.out)
    assert doc["reached"] is True and doc["want"] == "running"
    assert doc["record"]["id"] == vm["ID"] and doc["record"]["state"] == "running"
    assert doc["record"]["unsure"] is False


async def test_already_so_exits_at_once_and_timeout_says_the_last_state():
    async with simulator(token=TOKEN, frozen=True, hosts=3, vms=4, seed=5) as sim:
        vm = stopped_vm(sim)
        now, late = await asyncio.gather(
            hubtop("--url", sim.url, "wait", "vm", vm["ID"], "--state", "stopped", env=with_token()),
            hubtop("--url", sim.url, "wait", "vm", vm["Name"], "--state", "running", "--timeout", "1.5",
                   env=with_token()),
        )
        gone = await hubtop("--url", sim.url, "wait", "vm", "no-such-vm", "--gone", env=with_token())
    assert now.rc == 0 and now.out == "" and now.err == ""
    assert now.elapsed < 15
    assert late.rc == 1
    [line] = late.err.splitlines()
    assert line.startswith(f"hubtop: timed out after 1.5 s waiting for vm {vm['Name']} to be running; last seen: "
                           "stopped on ")
    assert gone.rc == 0


async def test_a_host_becomes_healthy_and_exit_codes_for_no_server_and_bad_token():
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local", state="unhealthy")]

        async def script(conn):
            await asyncio.sleep(0.8)
            await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}))

        hub.script = script
        run = await hubtop("--url", hub.url, "wait", "host", "mac-mini-01", "--healthy", "--timeout", "20", "--json",
                           env=with_token())
        refused = await hubtop("--url", hub.url, "wait", "host", "mac-mini-01", "--healthy",
                               env=cli_env(HUBTOP_TOKEN="wrong-token"))
    assert run.rc == 0, run.err
    assert json.loads(run.out)["record"]["state"] == "healthy"
    assert refused.rc == 3 and refused.err.startswith("hubtop: ")
    nobody = await hubtop("--url", f"http://127.0.0.1:{free_port()}", "wait", "vm", "x", "--gone", env=with_token())
    assert nobody.rc == 3 and len(nobody.err.splitlines()) == 1


async def test_an_ambiguous_name_lists_the_candidates_made_safe():
    name = f"build{ESC}]0;PWNED\x07"
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local"), host_record(HOST_B, "mac-mini-02.local")]
        hub.machines = [vm_record("vm-1", HOST_A, name), vm_record("vm-2", HOST_B, name)]
        run = await hubtop("--url", hub.url, "wait", "vm", name, "--state", "running", env=with_token())
        scoped = await hubtop("--url", hub.url, "wait", "vm", name, "--host", "mac-mini-02.local", "--state",
                              "running", env=with_token())
    assert run.rc == 2
    [line] = run.err.splitlines()
    assert ESC not in line and "\x07" not in line
    assert "matches 2: vm-1 on mac-mini-01.local (running); vm-2 on mac-mini-02.local (running)" in line
    assert "give its id or --host" in line
    assert scoped.rc == 0, scoped.err


async def test_rides_through_a_reconnect_to_the_listing_that_settles_it():
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local")]
        hub.machines = [vm_record("vm-1", HOST_A, "runner", state="stopped")]

        async def script(conn):
            if len(hub.conns) == 1:  # the first connection drops; meanwhile the VM started
                await asyncio.sleep(0.5)
                hub.machines = [vm_record("vm-1", HOST_A, "runner", state="running")]
                conn.abort()

        hub.script = script
        run = await hubtop("--url", hub.url, "wait", "vm", "runner", "--state", "running", "--timeout", "20",
                           env=with_token())
        assert len(hub.conns) >= 2
    assert run.rc == 0, run.err


# ------------------------------------------------------------------------------------------------ the model decides


def _state_change(vm_id: str, old: str, new: str, ts: str) -> str:
    env = envelope("orchestrator", "HOST_VM_STATE_CHANGED",
                   {"host_id": HOST_A, "event": {"vm_id": vm_id, "previous_state": old, "current_state": new}})
    env["timestamp"] = ts
    return json.dumps(env)


def _cluster() -> Cluster:
    cluster = Cluster()
    cluster.load_snapshot([HostRecord.model_validate(host_record(HOST_A, "mac-mini-01.local"))],
                          [VMRecord.model_validate(vm_record("vm-1", HOST_A, "runner", state="stopped"))], now=1000.0)
    return cluster


def test_a_state_that_arrives_before_its_step_is_not_reached_until_the_model_settles():
    cluster = _cluster()
    target = Target("vm", "runner", state="running")
    # the real server's hidden order: the last step first
    cluster.apply(parse_frame(_state_change("vm-1", "starting", "running", "2026-01-01T00:00:02.000000002Z"), 1001))
    outcome = check(cluster, target)
    assert not outcome.reached and "unsure" in outcome.seen  # running, but a step is missing: not believed yet
    cluster.apply(parse_frame(_state_change("vm-1", "stopped", "starting", "2026-01-01T00:00:01.000000001Z"), 1002))
    assert check(cluster, target).reached  # the late step settled it: running, and sure


def test_after_a_suspected_loss_nothing_is_reached_until_the_next_listing():
    feed = _Watched(_cluster())
    target = Target("vm", "runner", state="stopped")
    assert check(feed.cluster, target, feed.doubt).reached
    feed.deliver([Loss(2048)])
    assert feed.doubt and not check(feed.cluster, target, feed.doubt).reached
    feed.deliver([Snapshot([HostRecord.model_validate(host_record(HOST_A, "mac-mini-01.local"))],
                           [VMRecord.model_validate(vm_record("vm-1", HOST_A, "runner", state="stopped"))])])
    assert not feed.doubt and check(feed.cluster, target, feed.doubt).reached
    assert check(feed.cluster, Target("vm", "other", gone=True)).reached
    assert not check(feed.cluster, Target("vm", "runner", gone=True)).reached
