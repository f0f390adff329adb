"""Secrets and trust in the client: TLS verified by default and the two ways out (--ca-file, --insecure) for REST and
WebSocket alike; secrets from the environment, a prompt or a private config file; no secret in any log (DEBUG,
websockets and httpx included), status, exception or export; and hubtop only reads. (The command line's side is
in tests/cli/test_security.py, the app's in tests/app/test_security.py.)"""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest
from kit import tls
from kit.client import Collector, Tee, connected, fast_settings, running
from kit.hub import Conn, HubServer, standard_world
from kit.leaks import (
    API_KEY,
    CLIENT_ID_FRAME,
    PASSWORD,
    PING_FRAME,
    READS,
    TOKEN,
    WRONG_PASSWORD,
    assert_nowhere,
    log_text,
    tls_server,
)
from kit.sim import simulator
from kit.wait import wait_until
from kit.wire import HOST_A, frame

from tui.live.feed import Feed
from tui.model.cluster import Cluster
from tui.protocol.errors import HubError
from tui.settings import SecretStr, build_settings
from tui.transport.client import PING, HubClient
from tui.transport.rest import HubRest

pytestmark = pytest.mark.timeout(60)


# ------------------------------------------------------------------------------------------------ TLS


async def test_a_self_signed_server_is_refused_with_the_fix_named():
    async with tls_server() as hub:
        url = hub.url.replace("https://", "wss://")  # either spelling means TLS
        feed, collector = Feed(Cluster()), Collector()
        client = HubClient(fast_settings(url, token=SecretStr(TOKEN)), Tee(feed, collector))
        async with running(client) as task:
            await wait_until(task.done, what="the stop")
        st = feed.status
        assert st.state == "stopped" and st.error.kind == "tls"
        assert "\n" not in st.text and "not trusted" in st.text
        assert "--ca-file" in st.text and "--insecure" in st.text
        assert not hub.conns and feed.snapshots == 0  # nothing was sent over an untrusted channel
        assert [s.state for s in collector.statuses].count("connecting") == 1  # and no retry loop
        with pytest.raises(HubError) as info:
            async with HubRest(fast_settings(url, token=SecretStr(TOKEN))) as rest:
                await rest.hosts()
        assert info.value.kind == "tls" and "--ca-file" in str(info.value)
        assert not [r for r in hub.requests if r[1].endswith("/hosts")]


@pytest.mark.parametrize("trust", ["ca_file", "insecure"])
async def test_ca_file_and_insecure_work_for_rest_and_websocket(tmp_path, trust):
    ca_file = tls.ca_file(tmp_path)
    option = {"ca_file": str(ca_file)} if trust == "ca_file" else {"insecure": True}
    async with tls_server() as hub:
        url = hub.url.replace("https://", "wss://")
        feed = Feed(Cluster())
        client = HubClient(fast_settings(url, token=SecretStr(TOKEN), **option), feed)
        async with running(client):
            await wait_until(lambda: connected(feed), what="connected over TLS")
            # the WebSocket is up, and the REST snapshot came over TLS too
            assert len(hub.conns) == 1 and hub.conns[0].request.secure
            assert HOST_A in feed.cluster.hosts and feed.cluster.vm(HOST_A, "vm-1") is not None
            await client.set_channels(["orchestrator"])  # a REST POST over TLS
            assert hub.unsubscribes == [{"client_id": hub.conns[0].client_id, "event_types": ["health"]}]


# ------------------------------------------------------------------------------------------------ where secrets come from


async def test_secrets_from_the_environment_a_prompt_or_a_private_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "none.toml"))
    async with simulator(hosts=2, vms=1, seed=5, token=TOKEN, password=PASSWORD, api_key=API_KEY) as sim:
        url = sim.url
        private = tmp_path / "private.toml"
        private.write_text(f'url = "{url}"\napi_key = "{API_KEY}"\n')
        private.chmod(0o600)
        asked: list[str] = []
        ways = {
            "environment token": lambda: build_settings(environ={"HUBTOP_URL": url, "HUBTOP_TOKEN": TOKEN}),
            "environment password": lambda: build_settings(
                environ={"HUBTOP_URL": url, "HUBTOP_USER": sim.user, "HUBTOP_PASSWORD": PASSWORD}),
            "prompt": lambda: build_settings(url=url, user=sim.user, environ={},
                                             password_prompt=lambda user: asked.append(user) or PASSWORD),
            "config file": lambda: (monkeypatch.setenv("HUBTOP_CONFIG", str(private)), build_settings(environ={}))[1],
        }
        for way, make in ways.items():
            settings, warnings = make()
            assert not warnings
            settings = dataclasses.replace(settings, timeout=5.0)
            feed = Feed(Cluster())
            client = HubClient(settings, feed)
            async with running(client):
                await wait_until(lambda f=feed: connected(f), what=f"connected with the secret from the {way}")
            assert PASSWORD not in repr(settings) and TOKEN not in repr(settings) and API_KEY not in repr(settings)
        assert asked == [sim.user]


# ------------------------------------------------------------------------------------------------ no secret anywhere


async def test_no_secret_in_logs_errors_statuses_or_exports(caplog, capfd, tmp_path):
    caplog.set_level(logging.DEBUG)  # everything, websockets' handshake headers and httpx included
    for name in ("websockets", "websockets.client", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    texts: dict[str, str] = {}
    async with HubServer(token=TOKEN, users={"admin": PASSWORD}, login_api_keys=(API_KEY,)) as hub:
        standard_world(hub)
        hub.echo_auth = True  # a careless server: its 401s repeat the credentials it was given
        feed, collector = Feed(Cluster()), Collector()
        sink = Tee(feed, collector)
        # 1. token + user/password; the token expires on a live connection: 401 (echoed), a fresh login
        client = HubClient(fast_settings(hub.url, token=SecretStr(TOKEN), user="admin", password=SecretStr(PASSWORD),
                                         ping_interval=0.1), sink)
        async with running(client):
            await wait_until(lambda: connected(feed), what="connected")
            await wait_until(lambda: hub.conns[0].pings >= 2, what="pings")
            hub.tokens.discard(TOKEN)
            hub.conns[0].abort()
            await wait_until(lambda: connected(feed, 2), what="connected after a fresh login")
        # 2. an API key only: sent as a header, refused (echoed), traded for a token at login
        client = HubClient(fast_settings(hub.url, token=None, api_key=SecretStr(API_KEY)), sink)
        async with running(client):
            await wait_until(lambda: connected(feed, 3), what="connected with the API key")
        assert hub.attempts[-2].headers.get("X-Api-Key") == API_KEY  # the secret was really in play
        issued = set(hub.tokens)  # the fresh tokens of the two logins are secrets too
        # 3. a wrong password: refused (echoed), a clear stop
        hub.tokens.clear()
        bad = HubClient(fast_settings(hub.url, token=SecretStr(TOKEN), user="admin",
                                      password=SecretStr(WRONG_PASSWORD)), sink)
        async with running(bad) as task:
            await wait_until(task.done, what="auth_failed")
        assert bad.state == "auth_failed"
        # 4. errors raised to a caller (fail fast), REST errors
        errors: list[BaseException] = []
        for settings in (fast_settings(hub.url, token=SecretStr(TOKEN)),
                         fast_settings(hub.url, token=None, user="admin", password=SecretStr(WRONG_PASSWORD)),
                         fast_settings(hub.url, token=None, api_key=SecretStr("key-" + WRONG_PASSWORD))):
            c = HubClient(settings, Collector(), fail_fast=True)
            try:
                await c.run()
            except HubError as err:
                errors.append(err)
            await c.aclose()
            async with HubRest(settings) as rest:
                try:
                    await rest.hosts()
                except HubError as err:
                    errors.append(err)
        assert len(errors) == 6
        fresh = sorted(issued - {TOKEN})
        assert len(fresh) == 2 and client.auth.token.get_secret_value() in fresh
    feed.journal.export(tmp_path / "export.jsonl")
    texts["the export"] = (tmp_path / "export.jsonl").read_text()
    texts["statuses"] = "\n".join(f"{s.line} {s.error!r} {s.error}" for s in collector.statuses)
    texts["notes"] = "\n".join(n.text for n in collector.notes)
    texts["errors"] = "\n".join(f"{e} {e!r} {e.args!r}" for e in errors)
    texts["settings"] = repr(client.settings) + repr(bad.settings) + str(client.auth.token)
    texts["logs"] = log_text(caplog)
    out, err = capfd.readouterr()
    texts["output"] = out + err
    assert "Authorization" in texts["logs"]  # the handshake was logged at DEBUG: redacted, not dropped
    assert_nowhere([TOKEN, PASSWORD, API_KEY, WRONG_PASSWORD, *fresh], texts)


async def test_the_only_client_frames_are_ping_and_client_id(hub: HubServer):
    """Against a recording server that sends no confirmation (so the client asks for its id), with pings,
    an unsubscribe, and a fresh login: the server hears the reads and the two frames, nothing else."""
    hub.confirm = False

    async def script(conn: Conn) -> None:  # an older server: an event first, no confirmation
        await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}))

    hub.script = script
    hub.users = {"admin": PASSWORD}
    client = HubClient(fast_settings(hub.url, user="admin", password=SecretStr(PASSWORD), ping_interval=0.1,
                                     channels=("orchestrator", "health", "pdfm")), Collector())
    async with running(client):
        await wait_until(lambda: client.client_id is not None and hub.conns[0].pings >= 2, what="id and pings")
        await client.set_channels(["orchestrator", "health"])
        assert hub.unsubscribes
        hub.tokens.clear()
        hub.conns[0].abort()
        await wait_until(lambda: len(hub.conns) == 2 and client.client_id == hub.conns[1].client_id
                         and hub.conns[1].pings >= 1, what="the second connection")
    assert {(m, p) for m, p, _ in hub.requests} == READS
    frames = [json.loads(text) for conn in hub.conns for text in conn.received]
    assert all(f in (PING_FRAME, CLIENT_ID_FRAME) for f in frames), frames
    assert PING_FRAME in frames and CLIENT_ID_FRAME in frames
    assert json.loads(PING) == PING_FRAME
