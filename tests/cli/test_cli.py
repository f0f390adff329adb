"""The command line as a user runs it: ``python -m tui ...`` in a subprocess, against servers on 127.0.0.1
that run in the test's own event loop (the simulator, scripted hubs, a web server that is no hub, TLS).

The simulator's world is frozen (``Simulator(frozen=True)``: no events of its own) wherever a test checks what hubtop says about
it, so nothing changes unless the test emits it; health and link changes are made with ``sim.emit``. Every
run is checked for tracebacks, "Exception ignored" noise and leaked secrets. Timeouts are hang guards only.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from kit import tls
from kit.cli import (
    API_KEY,
    HEALTHY_SEED,
    HOSTS,
    HUBTOP,
    ISO_MS,
    JQ,
    PASSWORD,
    SICK_SEED,
    TOKEN,
    UUID,
    VMS,
    WRONG_TOKEN,
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
    one_line_error,
    readline,
    shell,
    spawn,
    table_rows,
    vm_summary,
    web_server,
    with_token,
    world_hosts,
)
from kit.hub import HubServer, standard_world
from kit.raw import free_port

from tui.sim import Simulator, World


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with cli_simulator() as s:
        yield s


# ------------------------------------------------------------------------------------------------ the basics


def test_the_chosen_seeds_make_the_worlds_the_tests_expect():
    states = [h["state"] for h in World(hosts=HOSTS, vms=VMS, seed=HEALTHY_SEED).hosts_json()]
    assert states == ["healthy"] * HOSTS
    states = [h["state"] for h in World(hosts=HOSTS, vms=VMS, seed=SICK_SEED).hosts_json()]
    assert states.count("unhealthy") == 1 and states.count("healthy") == HOSTS - 1


async def test_help_lists_the_commands_and_python_m_tui_is_hubtop():
    as_module, as_script = await asyncio.gather(hubtop("--help"), hubtop("--help", program=str(HUBTOP)))
    assert as_module.rc == as_script.rc == 0
    assert as_module.out == as_script.out
    assert as_module.out.startswith("usage: hubtop")
    for word in ("status", "tail", "simulate", "demo", "--url", "--token", "--api-key", "--user", "--channels",
                 "--insecure", "--ca-file", "--timeout", "HUBTOP_TOKEN"):
        assert word in as_module.out, word
    status_help = await hubtop("status", "--help")
    assert status_help.rc == 0
    for word in ("--json", "--wait", "--url", "--token", "--ca-file"):
        assert word in status_help.out, word


async def test_help_status_and_tail_never_import_textual(sim):
    runs = await asyncio.gather(
        hubtop("--help", python_flags=("-X", "importtime")),
        hubtop("--url", sim.url, "status", env=with_token(), python_flags=("-X", "importtime")),
        hubtop("--url", sim.url, "tail", "--count", "1", env=with_token(), python_flags=("-X", "importtime")),
    )
    for run in runs:
        assert run.rc == 0, run.err[-2000:]
        assert "import time:" in run.err and "tui.cli" in run.err  # the check below would see an import
        assert "textual" not in run.err.lower()


# ------------------------------------------------------------------------------------------------ status


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
            assert re.fullmatch(r"\d+s ago", row["LAST HEARD"]), row
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
        assert ISO_MS.match(host["last_heard"])
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


# ------------------------------------------------------------------------------------------------ status: UNKNOWN


async def test_status_unknown_for_a_wrong_or_missing_token(sim):
    wrong, missing, tail = await asyncio.gather(
        hubtop("--url", sim.url, "status", env=cli_env(HUBTOP_TOKEN=WRONG_TOKEN)),
        hubtop("--url", sim.url, "status", "--json"),
        hubtop("--url", sim.url, "tail", env=cli_env(HUBTOP_TOKEN=WRONG_TOKEN)),
    )
    for run in (wrong, missing, tail):
        assert run.rc == 3
        assert run.out == ""
    for run in (wrong, tail):
        line = one_line_error(run)
        assert "authentication failed" in line and "401" in line
    # without any credentials the line says what to give
    line = one_line_error(missing)
    assert "needs credentials (401)" in line and "HUBTOP_TOKEN" in line


async def test_status_unknown_when_nothing_listens():
    port = free_port()
    # credentials in the URL are refused and never shown back (assert_clean looks for the password)
    plain, with_userinfo = await asyncio.gather(
        hubtop("--url", f"http://127.0.0.1:{port}", "status", env=with_token()),
        hubtop("--url", f"http://admin:{PASSWORD}@127.0.0.1:{port}/api", "status", env=with_token()),
    )
    for run in (plain, with_userinfo):
        assert run.rc == 3 and run.out == ""
    assert f"cannot connect to http://127.0.0.1:{port}: connection refused" in one_line_error(plain)
    assert "takes no credentials from a URL" in one_line_error(with_userinfo)


@pytest.mark.parametrize(("status", "says"), [(404, "404"), (200, "200"), (500, "500")])
async def test_status_unknown_for_a_web_server_that_is_no_hub(status, says):
    async with web_server(status, "<!doctype html><html><body><h1>It works!</h1></body></html>") as url:
        run = await hubtop("--url", url, "status", env=with_token())
    assert run.rc == 3 and run.out == ""
    assert says in one_line_error(run)


async def test_status_unknown_when_the_hub_is_not_running(sim):
    sim.hub_running = False
    run = await hubtop("--url", sim.url, "status", env=with_token())
    assert run.rc == 3 and run.out == ""
    line = one_line_error(run)
    assert "503" in line and "not running" in line


async def test_status_over_tls(tmp_path):
    ca_file = tls.ca_file(tmp_path)
    async with HubServer(token=TOKEN, ssl_context=tls.server_context()) as hub:
        standard_world(hub)  # one host healthy, one unhealthy
        untrusted, trusted, insecure, plain = await asyncio.gather(
            hubtop("--url", hub.url, "status", env=with_token()),
            hubtop("--url", hub.url, "status", "--ca-file", str(ca_file), env=with_token()),
            hubtop("--url", hub.url, "--insecure", "status", env=with_token()),
            hubtop("--url", hub.url.replace("https:", "http:"), "status", env=with_token()),
        )
    assert hub.url.startswith("https://")
    assert untrusted.rc == 3 and untrusted.out == ""
    line = one_line_error(untrusted)
    assert "--ca-file" in line and "--insecure" in line and "not trusted" in line
    for run in (trusted, insecure):
        assert run.rc == 2, run.err  # the standard world has an unhealthy host
        assert run.lines[0].startswith("HUBTOP CRITICAL - 2 hosts; 2 VMs")
    # plain HTTP to a TLS-only server: an error, not a hang or a traceback
    assert plain.rc == 3 and plain.out == ""
    one_line_error(plain)


async def test_status_usage_errors_are_unknown():
    runs = await asyncio.gather(hubtop("status", "--wait", "-1"), hubtop("status", "--no-such-flag"),
                                hubtop("--timeout", "soon", "status"))
    for run in runs:
        assert run.rc == 3, run.err
        assert "usage: hubtop" in run.err


# ------------------------------------------------------------------------------------------------ credentials


async def test_token_flag_warns_and_the_token_is_never_printed(sim):
    flag, env = await asyncio.gather(
        hubtop("--url", sim.url, "status", "--token", TOKEN),
        hubtop("--url", sim.url, "status", env=with_token()),
    )
    assert flag.rc == env.rc == 0
    line = one_line_error(flag)
    assert "--token" in line and "process list" in line and "HUBTOP_TOKEN" in line
    assert env.err == ""  # no warning for the environment variable


async def test_user_without_a_password_and_no_terminal_is_a_clean_error(sim):
    status, tail = await asyncio.gather(
        hubtop("--url", sim.url, "--user", "admin@example.com", "status"),
        hubtop("--url", sim.url, "tail", "--user", "admin@example.com", "--count", "1"),
    )
    assert status.rc == 3
    assert tail.rc != 0
    for run in (status, tail):
        assert run.out == ""
        line = one_line_error(run)
        assert "HUBTOP_PASSWORD" in line and "admin@example.com" in line
    assert sim.connections == []


async def test_user_with_a_password_and_api_key_log_in():
    async with cli_simulator(password=PASSWORD, api_key=API_KEY) as sim:
        user, key = await asyncio.gather(
            hubtop("--url", sim.url, "status", "--user", "admin", env=cli_env(HUBTOP_PASSWORD=PASSWORD)),
            hubtop("--url", sim.url, "status", env=cli_env(HUBTOP_API_KEY=API_KEY)),
        )
    for run in (user, key):
        assert run.rc == 0, run.err
        assert run.err == ""
        assert run.lines[0].startswith("HUBTOP OK")


# ------------------------------------------------------------------------------------------------ tail


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


async def test_tail_into_a_closed_pipe_ends_quietly():
    async with cli_simulator(frozen=False, rate=200) as sim:
        run = await shell('"$PY" -m tui --url "$URL" tail | head -3; exit "${PIPESTATUS[0]}"',
                          URL=sim.url, HUBTOP_TOKEN=TOKEN)
    assert run.rc == 0, run.err
    assert run.err == ""
    assert len(run.lines) == 3 and all(json.loads(line) for line in run.lines)


async def test_status_into_a_closed_pipe_ends_quietly():
    # far more JSON than a pipe holds, so the writer meets the closed pipe for sure
    async with cli_simulator(hosts=60, vms=10, seed=HEALTHY_SEED) as sim:
        run = await shell('"$PY" -m tui --url "$URL" status --json | head -1; exit "${PIPESTATUS[0]}"',
                          URL=sim.url, HUBTOP_TOKEN=TOKEN)
        unhealthy = any(h["state"] != "healthy" for h in world_hosts(sim))
    assert run.err == ""
    assert run.lines == ["{"]
    assert run.rc == (2 if unhealthy else 0)  # the verdict stands though the reader left


# ------------------------------------------------------------------------------------------------ simulate


async def test_simulate_prints_its_url_and_token_and_serves():
    token = "banner-token-4f9"
    started = time.monotonic()
    proc = await spawn("simulate", "--port", "0", "--hosts", "2", "--vms", "1", "--seed", "3", "--token", token)
    try:
        banner = await readline(proc)  # flushed at once though stdout is a pipe
        match = re.match(r"hubtop simulator on (http://127\.0\.0\.1:\d+)\s", banner)
        assert match, banner
        url = match[1]
        assert await readline(proc) == f"token: {token}\n"
        run = await hubtop("--url", url, "status", "--json", env=cli_env(HUBTOP_TOKEN=token))
        assert run.rc in (0, 1, 2), run.err
        assert json.loads(run.out)["url"] == url
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        end = await finish(proc, started)
    assert end.rc == 0
    assert "Traceback" not in end.err and end.err == ""


async def test_simulate_on_a_busy_port_is_one_clean_line():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = await hubtop("simulate", "--port", str(port))
    assert run.rc != 0 and run.out == ""
    line = one_line_error(run)
    assert f"127.0.0.1:{port}" in line and "in use" in line.lower()


async def test_bad_numbers_are_usage_errors():
    runs = await asyncio.gather(hubtop("simulate", "--hosts", "-1"), hubtop("tail", "--count", "0"),
                                hubtop("simulate", "--rate", "fast"))
    for run in runs:
        assert run.rc == 2
        assert run.out == "" and "usage: hubtop" in run.err
