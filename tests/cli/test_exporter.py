"""``hubtop exporter``: scraped over real HTTP and parsed with ``prometheus_client.parser``, against the simulator
(reordering on: queue depth from /ws/clients, the ping's round trip by its id) and a scripted hub (labels made
safe, an outage as hubtop_up 0); the textfile; bounded cardinality; the exit codes of bad options."""

from __future__ import annotations

import asyncio
import time

import httpx
from kit.cli import TOKEN, cli_env, finish, hubtop, spawn, with_token
from kit.client import fast_settings, running
from kit.hub import Conn, HubServer
from kit.raw import free_port
from kit.sim import simulator
from kit.wait import wait_until
from kit.wire import HOST_A, HOST_B, frame, host_record, vm_record
from prometheus_client.parser import text_string_to_metric_families

from tui.commands.exporter import QueueDepth, parse_listen
from tui.live.metrics import MAX_MESSAGES, CountingFeed, HubCollector, registry_for
from tui.model.cluster import Cluster
from tui.protocol.parse import parse_frame
from tui.settings import SecretStr
from tui.transport.client import HubClient

ESC = "\x1b"


def samples(text: str) -> dict[str, list]:
    """name -> [(labels, value)], every sample of the exposition text."""
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def value(found: dict, name: str, **labels: str) -> float:
    [v] = [v for lab, v in found[name] if all(lab.get(k) == x for k, x in labels.items())]
    return v


async def scrape(port: int, until=lambda found: True, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                found = samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
                if until(found):
                    return found
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "no scrape with what was wanted"
            await asyncio.sleep(0.2)


async def test_scraped_over_http_and_an_outage_is_up_0(tmp_path):
    port = free_port()
    async with HubServer(token=TOKEN) as hub:
        hub.hosts = [host_record(HOST_A, "mac-mini-01.local"),
                     host_record(HOST_B, f"evil{ESC}.local", state="unhealthy", description=f"d{ESC}]0;x")]
        hub.machines = [vm_record("vm-1", HOST_A, "one"), vm_record("vm-2", HOST_A, "two", "stopped"),
                        vm_record("vm-3", HOST_B, "three", "weird-state")]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.3)
            for _ in range(3):
                await conn.send(frame("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {}}))
            await conn.send("garbage")

        hub.script = script
        textfile = tmp_path / "hub.prom"
        proc = await spawn("--url", hub.url, "exporter", "--listen", f"127.0.0.1:{port}", "--textfile",
                           str(textfile), "--interval", "0.3", env=with_token())
        try:
            found = await scrape(port, lambda f: f.get("hubtop_frames_malformed_total", [({}, 0)])[0][1] == 1)
            assert value(found, "hubtop_up") == 1
            assert value(found, "hubtop_host_health", host_id=HOST_A, state="healthy") == 1
            assert value(found, "hubtop_host_health", host_id=HOST_B, state="unhealthy") == 1
            assert value(found, "hubtop_host_health", host_id=HOST_B, state="healthy") == 0
            assert value(found, "hubtop_host_link", host_id=HOST_A, state="connected") == 1
            assert value(found, "hubtop_host_vms", host_id=HOST_A, state="running") == 1
            assert value(found, "hubtop_host_vms", host_id=HOST_A, state="stopped") == 1
            assert value(found, "hubtop_host_vms", host_id=HOST_B, state="other") == 1  # a state not known
            assert 0 <= value(found, "hubtop_host_last_heard_seconds", host_id=HOST_A) < 20
            assert value(found, "hubtop_events_total", channel="orchestrator", message="HOST_STATS_UPDATE") == 3
            assert value(found, "hubtop_frames_received_total") == 5  # the confirmation, 3 stats, the garbage
            assert value(found, "hubtop_vms", state="running") == 1 and value(found, "hubtop_hosts") == 2
            assert value(found, "hubtop_reconnects_total") == 0 and value(found, "hubtop_resyncs_total") == 0
            names = {lab["hostname"] for lab, _ in found["hubtop_host_health"]}
            assert names == {"mac-mini-01.local", f"evil{chr(0x241B)}.local"}  # made safe
            assert "hubtop_queue_depth" not in found  # this hub has no /ws/clients
            await wait_until(textfile.exists, 10, "the textfile")
            assert samples(textfile.read_text())["hubtop_hosts"][0][1] == 2
            for conn in hub.conns:
                conn.abort()
            hub.subscribe_answers = [503] * 1000
            found = await scrape(port, lambda f: value(f, "hubtop_up") == 0)
            assert value(found, "hubtop_host_health", host_id=HOST_A, state="healthy") == 1  # still known
        finally:
            proc.terminate()
            run = await finish(proc)
    assert run.rc == 0, run.err
    assert "Traceback" not in run.err


async def test_queue_depth_and_ping_round_trip_against_the_simulator():
    async with simulator(token=TOKEN, hosts=3, vms=2, seed=2) as sim:
        assert sim.reorder
        feed = CountingFeed(Cluster())
        client = HubClient(fast_settings(sim.url, token=SecretStr(TOKEN), ping_interval=0.2, pong_timeout=2), feed)
        client.ping_ids = True
        depth = QueueDepth(client)
        collector = HubCollector(feed, client, queue_depth=lambda: depth.value)
        async with running(client):
            await wait_until(lambda: client.ping_rtt is not None and client.client_id, 10, "a timed pong")
            await depth.once()
            from prometheus_client import generate_latest

            found = samples(generate_latest(registry_for(collector)).decode())
    assert 0 < value(found, "hubtop_ping_rtt_seconds") < 2
    assert value(found, "hubtop_queue_depth") >= 0
    assert client.pongs >= 1 and client.pings_sent >= 1


def test_cardinality_is_bounded():
    feed = CountingFeed(Cluster())
    from kit.model import hosts as host_records

    feed.cluster.load_snapshot(host_records(*(host_record(f"h{i:03d}", f"m{i}.local", state="unhealthy" if i % 2
                                                          else "healthy") for i in range(10))), [], now=0)
    for i in range(200):
        feed.deliver([parse_frame(frame("orchestrator", f"HOST_NEW_THING_{i}", {"host_id": "h000"}))])
    collector = HubCollector(feed, None, max_hosts=4)
    from prometheus_client import generate_latest

    found = samples(generate_latest(registry_for(collector)).decode())
    ids = {lab["host_id"] for lab, _ in found["hubtop_host_health"]}
    assert ids == {"h000", "h001", "h002", "h003", "other"}
    assert value(found, "hubtop_host_health", host_id="other", state="unhealthy") == 3  # h005, h007, h009
    assert value(found, "hubtop_hosts_capped") == 6
    events = found["hubtop_events_total"]
    assert len(events) <= MAX_MESSAGES + 12
    assert value(found, "hubtop_events_total", channel="orchestrator", message="other") == 200 - MAX_MESSAGES


async def test_bad_options_and_refused_credentials(tmp_path):
    none = await hubtop("exporter", env=with_token())
    assert none.rc == 2 and "--listen" in none.err
    bad = await hubtop("exporter", "--listen", "nowhere", env=with_token())
    assert bad.rc == 2 and "ADDR:PORT" in bad.err
    assert parse_listen("[::1]:9464") == ("::1", 9464) and parse_listen(":9464") == ("0.0.0.0", 9464)
    async with HubServer(token=TOKEN) as hub:
        refused = await hubtop("--url", hub.url, "exporter", "--textfile", str(tmp_path / "x.prom"), "--once",
                               env=cli_env(HUBTOP_TOKEN="wrong"))
        once = await hubtop("--url", hub.url, "exporter", "--textfile", str(tmp_path / "y.prom"), "--once",
                            env=with_token())
    assert refused.rc == 3 and refused.err.startswith("hubtop: ")
    assert once.rc == 0, once.err
    assert samples((tmp_path / "y.prom").read_text())["hubtop_up"][0][1] == 1
