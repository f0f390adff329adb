"""``hubtop tail``: JSON lines on stdout, one per event, as the server sent them and in order (through ``jq``, into
a closed pipe, through a drop, until SIGINT), and what went wrong on stderr. Against the simulator on 127.0.0.1
(its world frozen: nothing happens unless a test emits it), or a scripted hub; and ``tui.cli.main`` in-process
against a hub in a thread."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time

import pytest
from kit.cli import (
    JQ,
    TOKEN,
    Run,
    accepted,
    assert_clean,
    cli_simulator,
    finish,
    health_update,
    hubtop,
    one_line_error,
    readline,
    shell,
    spawn,
    with_token,
    world_hosts,
)
from kit.client import expected_entries, sequence
from kit.hub import TOKEN as HUB_TOKEN
from kit.hub import Conn, HubServer
from kit.threads import ServerThread

from tui.sim import Simulator


def _json_lines(run: Run) -> list[dict]:
    docs = [json.loads(line) for line in run.lines]
    assert all(isinstance(d, dict) and {"id", "event_type", "message", "timestamp"} <= set(d) for d in docs)
    return docs


async def test_tail_count_gives_that_many_json_lines():
    async with cli_simulator(frozen=False, rate=200) as sim:
        run = await hubtop("--url", sim.url, "tail", "--count", "20", env=with_token())
    assert run.rc == 0, run.err
    assert run.err == ""
    assert len(run.lines) == 20
    docs = _json_lines(run)
    assert docs[0]["event_type"] == "global" and docs[0]["body"]["subscriptions"]  # the confirmation first
    assert len({d["id"] for d in docs}) == 20
    assert all(line == line.strip() and "\n" not in line for line in run.lines)


@pytest.mark.skipif(JQ is None, reason="no jq")
async def test_tail_into_jq():
    async with cli_simulator(frozen=False, rate=200) as sim:
        run = await shell('set -o pipefail; "$PY" -m tui --url "$URL" tail --count 20 | "$JQ" -c '
                          "'{channel: .event_type, message: .message}'",
                          URL=sim.url, JQ=JQ, HUBTOP_TOKEN=TOKEN)
    assert run.rc == 0, run.err
    assert len(run.lines) == 20
    assert all(set(json.loads(line)) == {"channel", "message"} for line in run.lines)


async def tail_started(sim: Simulator, *args: str) -> tuple[str, float, asyncio.subprocess.Process]:
    """The first host's id, the start time and a ``hubtop tail`` subscribed to ``sim``."""
    host = world_hosts(sim)[0]["id"]
    started = time.monotonic()
    proc = await spawn("--url", sim.url, "tail", *args, env=with_token())
    await accepted(sim, proc)
    return host, started, proc


async def test_tail_notes_a_malformed_frame_and_goes_on(sim):
    host, started, proc = await tail_started(sim, "--count", "3")
    before = sim.emit(*health_update(host, "healthy"))
    sim.broadcast_raw("garbage {not json")
    after = sim.emit(*health_update(host, "unhealthy"))
    run = await finish(proc, started)
    assert_clean(run)
    assert run.rc == 0, run.err
    docs = _json_lines(run)
    assert [d["id"] for d in docs[1:]] == [before, after]
    line = one_line_error(run)
    assert "malformed" in line and "garbage {not json" in line


async def test_tail_puts_a_frame_with_line_breaks_on_one_line(sim):
    """A server may send pretty-printed JSON: tail still gives one line per event, the same frame."""
    host, started, proc = await tail_started(sim, "--count", "2")
    frame = {"id": "pretty-1", "event_type": "orchestrator", "timestamp": "2026-11-27T00:00:00Z",
             "message": "HOST_HEALTH_UPDATE", "body": {"host_id": host, "state": "unhealthy\r\nreally"}}
    sim.broadcast_raw(json.dumps(frame, indent=2))
    run = await finish(proc, started)
    assert_clean(run)
    assert run.rc == 0, run.err
    assert len(run.lines) == 2 and json.loads(run.lines[1]) == frame


async def test_tail_without_count_prints_every_event_as_sent_in_order(sim):
    """The open-ended tail (events handed over a burst at a time, known ones as their frame's text): every
    event on stdout as the server sent it, in order; a malformed frame on stderr, between them."""
    host, started, proc = await tail_started(sim)
    sent = [sim.emit(*health_update(host, "unhealthy"))]
    sim.broadcast_raw("garbage {not json")
    sent.append(sim.emit("orchestrator", "HOST_SOMETHING_NEW", {"host_id": host, "n": 1}))  # unknown: generic
    sent.append(sim.emit(*health_update(host, "healthy")))
    pretty = {"id": "pretty-2", "event_type": "orchestrator", "timestamp": "2026-11-27T00:00:00Z",
              "message": "HOST_HEALTH_UPDATE", "body": {"host_id": host, "state": "healthy"}}
    sim.broadcast_raw(json.dumps(pretty, indent=2))
    sent.append("pretty-2")
    head = "".join([await readline(proc) for _ in range(1 + len(sent))])  # the confirmation first
    proc.send_signal(signal.SIGINT)
    run = await finish(proc, started, head=head)
    assert_clean(run)
    assert run.rc == 130, run.err
    docs = _json_lines(run)
    assert [d["id"] for d in docs[1:]] == sent
    assert docs[-1] == pretty
    assert docs[2]["message"] == "HOST_SOMETHING_NEW" and docs[2]["body"] == {"host_id": host, "n": 1}
    assert "malformed" in run.err and "garbage {not json" in run.err


async def test_tail_stays_through_a_drop_and_notes_the_gap(sim):
    host, started, proc = await tail_started(sim, "--count", "4")
    before = sim.emit(*health_update(host, "healthy"))
    head = await readline(proc) + await readline(proc)  # the confirmation and `before` are out
    await sim.drop_all()
    await accepted(sim, proc, 2)
    after = sim.emit(*health_update(host, "unhealthy"))
    run = await finish(proc, started, head=head)
    assert_clean(run)
    assert run.rc == 0, run.err
    docs = _json_lines(run)
    assert [d["message"] for d in docs] == ["WebSocket connection established subscribed to global by default",
                                            "HOST_HEALTH_UPDATE"] * 2
    assert (docs[1]["id"], docs[3]["id"]) == (before, after)
    assert docs[0]["body"]["client_id"] != docs[2]["body"]["client_id"]
    notes = run.err.splitlines()
    assert notes and all(n.startswith("hubtop: ") for n in notes), run.err
    assert any("reconnecting" in n for n in notes), run.err
    assert any(re.search(r"disconnected \d\d:\d\d:\d\d-\d\d:\d\d:\d\d", n) for n in notes), run.err


async def test_tail_ends_on_sigint_with_130():
    async with cli_simulator(frozen=False, rate=50) as sim:
        proc = await spawn("--url", sim.url, "tail", env=with_token())
        json.loads(await readline(proc))
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        run = await finish(proc, sent)
    assert_clean(run)
    assert run.rc == 130
    assert run.elapsed < 5, run.elapsed
    assert all(json.loads(line) for line in run.lines)  # every line whole: no line cut in two
    assert run.err == ""


async def test_tail_into_a_closed_pipe_ends_quietly():
    async with cli_simulator(frozen=False, rate=200) as sim:
        run = await shell('"$PY" -m tui --url "$URL" tail | head -3; exit "${PIPESTATUS[0]}"',
                          URL=sim.url, HUBTOP_TOKEN=TOKEN)
    assert run.rc == 0, run.err
    assert run.err == ""
    assert len(run.lines) == 3 and all(json.loads(line) for line in run.lines)


# ------------------------------------------------------------------------------------------------ in-process


def test_hubtop_tail_prints_every_valid_event_in_arrival_order(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    sent = sequence()
    valid = [x for x in sent if isinstance(x, str) and x.startswith("{")]

    async def script(conn: Conn) -> None:
        for item in sent:
            await conn.send(item)

    with ServerThread(HubServer()) as hub:
        hub.script = script
        monkeypatch.setenv("HUBTOP_TOKEN", HUB_TOKEN)
        monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "none.toml"))
        code = main(["tail", "--url", hub.url, "--count", str(1 + len(valid))])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.split("\n")[:-1]
    assert json.loads(lines[0])["message"].startswith("WebSocket connection established")
    assert lines[1:] == valid  # every valid frame, duplicates included, as sent, in order
    malformed = [line for line in err.splitlines() if "malformed frame" in line]
    assert len(malformed) == sum(1 for k, _, _ in expected_entries(sent) if k == "malformed")
