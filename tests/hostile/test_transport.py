"""A hostile server at the transport: redirects that would carry the API key to another origin, REST bodies
that never end or arrive a byte at a time, a flood of pings from a server that never reads the answers, and a
certificate for another name. Every case ends in one line, the credentials stay home, memory stays bounded."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest
from kit import tls
from kit.client import Collector, fast_settings, running
from kit.hostile import HostileHub, dripping, endless_list, redirect_to
from kit.hub import ENCODED_KEY as KEY
from kit.hub import HubServer, standard_world
from kit.raw import RawHub
from kit.threads import ServerThread
from kit.wait import wait_until
from kit.wire import HOST_A, MiB
from websockets.asyncio.client import connect

from tui.protocol.errors import HubError
from tui.settings import SecretStr
from tui.transport import connection
from tui.transport.client import HubClient
from tui.transport.connection import FrameConnection
from tui.transport.rest import HubRest

pytestmark = pytest.mark.timeout(60)

SUBSCRIBE = "/api/v1/ws/subscribe"
HOSTS = "/api/v1/orchestrator/hosts"


def one_line(text: str) -> str:
    assert not any(ch in text for ch in "\n\r\x1b\x9b\x9d\u202e"), text
    return text


def bait(port: int, path: str = SUBSCRIBE) -> str:
    """A Location on another origin, with credentials, a query token and an escape sequence in it."""
    return f"http://victim:S3CR3T-pw@127.0.0.1:{port}{path}?access_token=S3CR3T-q&x=\x9b2J\x9d0;PWNED"


def assert_no_leak(text: str) -> None:
    for word in ("S3CR3T", "victim", "access_token", "PWNED", KEY):
        assert word not in text, text


# ------------------------------------------------------------------------------------------------ redirects


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_websocket_redirect_is_not_followed_and_the_key_stays_home(status):
    async with HubServer(token=None, header_api_keys=(KEY,)) as other, HostileHub(token=None) as hub:
        standard_world(other)
        hub.handlers[SUBSCRIBE] = redirect_to(bait(other.port), status)
        collector = Collector()
        client = HubClient(fast_settings(hub.url, token=None, api_key=SecretStr(KEY)), collector)
        async with running(client) as task:
            await wait_until(lambda: task.done() or other.requests, what="a stop or a followed redirect")
        # websockets followed the redirect to the other origin with X-Api-Key (only Authorization is stripped)
        assert other.requests == [] and other.attempts == []
        stopped = collector.statuses[-1]
        assert stopped.state == "stopped" and stopped.error.kind == "redirect"
        text = one_line(str(stopped.error))
        assert (f"the server at {hub.url} redirected the subscribe ({status}) to "
                f"http://127.0.0.1:{other.port}{SUBSCRIBE}; not followed") in text
        assert_no_leak(text)
        assert collector.states().count("connecting") == 1  # the URL needs fixing: no retry loop


async def test_a_same_origin_websocket_redirect_is_not_followed_either():
    async with HostileHub(token=None, header_api_keys=(KEY,)) as hub:
        hub.handlers[SUBSCRIBE] = redirect_to("/api/v2/ws/\x9b2Jsubscribe?event_types=orchestrator", 302)
        client = HubClient(fast_settings(hub.url, token=None, api_key=SecretStr(KEY)), Collector(), fail_fast=True)
        with pytest.raises(HubError) as info:
            await asyncio.wait_for(client.run(), 10)
        await client.aclose()
    assert info.value.kind == "redirect"
    text = one_line(str(info.value))  # the C1 CSI in the location is shown, not sent
    assert f"redirected the subscribe (302) to {hub.url.replace('http', 'ws')}/api/v2/ws/" in text
    assert "\\x9b2Jsubscribe; not followed" in text  # (aiohttp writes the header in UTF-8, read as Latin-1)
    assert [path for _, path, _ in hub.requests] == [SUBSCRIBE]


async def test_a_rest_redirect_says_so_instead_of_not_json():
    async with HubServer(token=None, header_api_keys=(KEY,)) as other, HostileHub(token=None) as hub:
        hub.handlers[HOSTS] = redirect_to(bait(other.port, HOSTS), 302)
        async with HubRest(fast_settings(hub.url, token=None, api_key=SecretStr(KEY))) as rest:
            with pytest.raises(HubError) as info:
                await rest.hosts()
        assert other.requests == []
    text = one_line(str(info.value))
    assert info.value.kind == "redirect" and info.value.status == 302
    assert f"redirected the hosts list (302) to http://127.0.0.1:{other.port}{HOSTS}; not followed" in text
    assert "not JSON" not in text
    assert_no_leak(text)


def test_status_says_it_in_one_line_and_exits_3(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUBTOP_API_KEY", KEY)
    for name in ("HUBTOP_TOKEN", "HUBTOP_URL", "HUBTOP_USER"):
        monkeypatch.delenv(name, raising=False)
    other = HubServer(token=None, header_api_keys=(KEY,))
    standard_world(other)
    with ServerThread(other), ServerThread(HostileHub(token=None)) as hub:
        hub.handlers[SUBSCRIBE] = redirect_to(bait(other.port))
        assert main(["status", "--url", hub.url]) == 3
        out, err = capsys.readouterr()
        assert other.requests == []
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"hubtop: the server at {hub.url} redirected the subscribe (301) to ")
    assert_no_leak(err)


# ------------------------------------------------------------------------------------------------ bounded bodies


async def test_an_endless_body_stops_at_the_cap():
    async with HostileHub() as hub:
        hub.handlers[HOSTS] = endless_list()
        async with HubRest(fast_settings(hub.url, max_body=2 * MiB, timeout=10)) as rest:
            started = time.monotonic()
            with pytest.raises(HubError) as info:
                await asyncio.wait_for(rest.hosts(), 20)
    assert info.value.kind == "protocol" and time.monotonic() - started < 10
    text = one_line(str(info.value))
    assert text == (f"the hosts list from {hub.url} is larger than 2 MiB; not read further (raise the cap with "
                    "HUBTOP_MAX_BODY or max_body in the profile)")


async def test_a_declared_length_over_the_cap_is_refused_before_reading():
    async with HostileHub() as hub:
        hub.handlers[HOSTS] = endless_list(length=64 * 1024 * MiB)
        async with HubRest(fast_settings(hub.url, max_body=MiB)) as rest:
            with pytest.raises(HubError) as info:
                await asyncio.wait_for(rest.hosts(), 20)
    assert info.value.kind == "protocol" and "larger than 1 MiB" in str(info.value)


async def test_a_dripped_body_ends_at_the_overall_deadline():
    async with HostileHub() as hub:
        hub.handlers[HOSTS] = dripping(0.1)  # each read comes well within the timeout; the whole never does
        async with HubRest(fast_settings(hub.url, timeout=1.0)) as rest:
            started = time.monotonic()
            with pytest.raises(HubError) as info:
                await asyncio.wait_for(rest.hosts(), 15)
            elapsed = time.monotonic() - started
    assert info.value.kind == "timeout" and elapsed < 5
    text = one_line(str(info.value))
    assert text.startswith(f"the hosts list from {hub.url} did not arrive in full within 1 s (--timeout; ")


async def test_the_client_retries_a_snapshot_that_never_ends_and_says_why():
    async with HostileHub() as hub:
        standard_world(hub)
        hub.handlers[HOSTS] = dripping(0.05)
        collector = Collector()
        client = HubClient(fast_settings(hub.url, timeout=0.5), collector)
        async with running(client):
            await collector.wait(lambda c: len([s for s in c.statuses if s.state == "reconnecting"]) >= 2,
                                 timeout=20, what="two retries")
            # the server mends its ways: the next snapshot is taken and the client is connected
            del hub.handlers[HOSTS]
            await collector.wait(lambda c: c.snapshots, timeout=20, what="a snapshot")
    retries = [s for s in collector.statuses if s.state == "reconnecting"]
    assert all("did not arrive in full within 0.5 s" in s.reason for s in retries)
    assert collector.statuses[-1].state == "stopped" and "connected" in collector.states()
    assert HOST_A in {h.id for h in collector.snapshots[-1].hosts}


@pytest.mark.parametrize(("handler", "env", "says"), [
    (endless_list(stop_after=256 * MiB), {"HUBTOP_MAX_BODY": "1MiB"}, "is larger than 1 MiB"),
    (dripping(0.1), {"HUBTOP_TIMEOUT": "1"}, "did not arrive in full within 1 s"),
])
def test_status_on_an_endless_or_dripped_body_exits_3_in_one_line(monkeypatch, capsys, tmp_path, handler, env,
                                                                  says):
    from tui.cli import main

    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUBTOP_TOKEN", "tok-initial")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with ServerThread(HostileHub()) as hub:
        hub.handlers[HOSTS] = handler
        started = time.monotonic()
        assert main(["status", "--url", hub.url]) == 3
        assert time.monotonic() - started < 15
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    assert says in err


# ------------------------------------------------------------------------------------------------ ping flood

PING = b"\x89\x7d" + b"p" * 125  # a ping with the largest payload a control frame may carry


async def test_a_ping_flood_from_a_server_that_never_reads_ends_the_connection():
    async def flood(conn) -> None:
        transport = conn.transport
        transport.pause_reading()  # our pongs pile up on the way back
        for _ in range(600):  # at most 600,000 pings (75 MB), stopped as soon as the client leaves
            if transport.is_closing():
                return
            transport.write(PING * 1000)
            await asyncio.sleep(0.002)
            while transport.get_write_buffer_size() > 8 * MiB and not transport.is_closing():
                await asyncio.sleep(0.01)  # the test's own side stays bounded too

    async with RawHub(flood) as hub:
        collector = Collector()
        client = HubClient(fast_settings(hub.url, timeout=5.0), collector)
        async with running(client):
            dropped = await collector.wait(
                lambda c: [s for s in c.statuses if s.state == "reconnecting"], timeout=40, what="the drop")
    reason = one_line(dropped[0].reason)
    assert reason.startswith(f"{hub.url} stopped reading what hubtop sends (")
    assert reason.endswith("KiB unsent); connection dropped")
    kib = int(reason.split("(")[1].split(" KiB")[0].replace(",", ""))
    assert kib * 1024 <= connection.WRITE_BUFFER_MAX + 64 * 1024


@pytest.mark.parametrize("use_tls", [False, True])
async def test_pongs_to_a_connection_that_broke_mid_burst_are_not_written(caplog, use_tls):
    """One read brings 2,064 pings (256 KiB); the connection breaks while they are answered. asyncio logged
    "socket.send() raised exception." once per pong after the fifth (2,057 lines on stderr)."""
    options, client_ssl = {}, None
    if use_tls:
        options["ssl"] = tls.server_context()
        client_ssl = tls.client_context()
    async with RawHub(**options) as hub:
        ws = await connect(f"{'wss' if use_tls else 'ws'}://127.0.0.1:{hub.port}{SUBSCRIBE}", ssl=client_ssl,
                           create_connection=FrameConnection, compression=None)
        await ws.inbox.get()  # the confirmation
        ws.transport.get_extra_info("socket").shutdown(socket.SHUT_WR)  # the next send fails (EPIPE)
        with caplog.at_level(logging.WARNING, logger="asyncio"):
            ws.data_received(PING * (256 * 1024 // len(PING)))
            await asyncio.sleep(0.05)
        ws.transport.abort()
    lines = [r for r in caplog.records if r.name == "asyncio"]
    assert len(lines) <= 1, f"{len(lines)} asyncio warnings: {lines[:2]}"


# ------------------------------------------------------------------------------------------------ TLS name


async def test_a_certificate_for_another_name_gets_its_own_sentence(tmp_path):
    ca_file = tls.ca_file(tmp_path)
    async with HubServer(ssl_context=tls.server_context("hub.example.test")) as hub:
        settings = fast_settings(hub.url, ca_file=str(ca_file))
        async with HubRest(settings) as rest:
            with pytest.raises(HubError) as rest_err:
                await rest.hosts()
        client = HubClient(settings, Collector(), fail_fast=True)
        with pytest.raises(HubError) as ws_err:
            await asyncio.wait_for(client.run(), 10)
        await client.aclose()
    for err in (rest_err.value, ws_err.value):
        text = one_line(str(err))
        assert err.kind == "tls"
        assert text.startswith(f"the TLS certificate of {hub.url} is for another name (")
        assert "--ca-file" not in text and "--insecure" not in text
