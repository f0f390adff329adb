"""``tail --raw`` (every JSON object frame as received, refused ones too; anything else a note) and ``tail --enrich``
(host and VM names from the live model), against a scripted hub and the simulator."""

from __future__ import annotations

import asyncio
import json

from kit.cli import TOKEN, hubtop, with_token
from kit.hub import Conn, HubServer
from kit.sim import simulator
from kit.wire import HOST_A, frame, host_record, vm_record

ESC = "\x1b"
GOOD = frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"})
#: a JSON object hubtop cannot read as an event (no message)
ODD = '{"id": "x1", "event_type": "orchestrator", "body": {"name": "a\\u001b]0;T\\u0007"}}\n'
PRETTY = json.dumps(json.loads(GOOD), indent=2)  # line breaks between tokens
CONTROL = frame("orchestrator", "HOST_ADDED", {"host_id": "h-new", "host": f"x{ESC}[2Jy"})
NOT_OBJECTS = ["[1, 2]", "not json", '{"a": NaN}', '"text"']


async def _frames(conn: Conn) -> None:
    await asyncio.sleep(0.3)
    for text in (GOOD, ODD, *NOT_OBJECTS, PRETTY, CONTROL):
        await conn.send(text)


async def test_raw_prints_every_json_object_as_received_and_notes_the_rest():
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local")]
        hub.script = _frames
        raw, events = await asyncio.gather(
            hubtop("--url", hub.url, "tail", "--raw", "--count", "5", env=with_token()),
            hubtop("--url", hub.url, "tail", "--count", "4", env=with_token()),
        )
    assert raw.rc == 0 and events.rc == 0, raw.err + events.err
    lines = raw.lines
    assert len(lines) == 5
    values = [json.loads(line) for line in lines]
    assert all(isinstance(v, dict) for v in values)
    assert values[1] == json.loads(GOOD)
    assert lines[2] == ODD.strip()  # as received: the odd envelope too, its escapes untouched
    assert values[3] == json.loads(GOOD)  # the pretty frame, on one line, the same value
    assert values[4] == json.loads(CONTROL) and ESC not in raw.out and "\\u001b[2J" in lines[4]
    notes = raw.err.splitlines()
    assert len(notes) == len(NOT_OBJECTS) and all(n.startswith("hubtop: malformed frame") for n in notes)
    # the default mode prints events only: the odd envelope is a note there
    assert len(events.lines) == 4 and all("message" in json.loads(line) for line in events.lines)
    assert len(events.err.splitlines()) == 1 + len(NOT_OBJECTS)


async def test_enrich_names_the_host_and_vm_as_the_model_knows_them():
    async with simulator(token=TOKEN, frozen=True, reorder=True, hosts=2, vms=2, seed=3) as sim:
        vm = sim.world.machines_json()[0]
        host = next(h for h in sim.world.hosts_json() if h["id"] == vm["host_id"])

        async def emit() -> None:
            await asyncio.sleep(1.5)
            sim.emit("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": vm["host_id"], "event": {
                "vm_id": vm["ID"], "previous_state": vm["State"], "current_state": vm["State"]}})
            sim.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": host["id"], "state": host["state"]})

        run, _ = await asyncio.gather(hubtop("--url", sim.url, "tail", "--enrich", "--count", "3",
                                             env=with_token()), emit())
    assert run.rc == 0, run.err
    confirmation, *rest = [json.loads(line) for line in run.lines]
    assert (confirmation["host_name"], confirmation["vm_name"]) == (None, None)
    by_message = {e["message"]: e for e in rest}
    hostname = host["host"].split("//")[1].split(":")[0]
    assert (by_message["HOST_VM_STATE_CHANGED"]["host_name"], by_message["HOST_VM_STATE_CHANGED"]["vm_name"]) == \
        (hostname, vm["Name"])
    assert (by_message["HOST_HEALTH_UPDATE"]["host_name"], by_message["HOST_HEALTH_UPDATE"]["vm_name"]) == \
        (hostname, None)


async def test_enrich_keeps_lines_valid_and_safe_with_a_hostile_name():
    name = f'evil{ESC}]52;c;cHduZWQ=\x07"\\'
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local")]
        hub.machines = [vm_record("vm-1", HOST_A, name)]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.3)
            await conn.send(frame("orchestrator", "HOST_VM_UPTIME_CHANGED",
                                  {"host_id": HOST_A, "event": {"vm_id": "vm-1", "uptime": "5"}}))

        hub.script = script
        run = await hubtop("--url", hub.url, "tail", "--enrich", "--count", "2", env=with_token())
    assert run.rc == 0, run.err
    last = run.lines[-1]
    assert ESC not in last and "\x07" not in last
    assert json.loads(last)["vm_name"] == name  # the same name, escaped
