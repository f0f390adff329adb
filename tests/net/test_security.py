"""Secrets and trust: TLS verified by default and the two ways out (--ca-file, --insecure) for REST and WebSocket
alike; secrets from the environment, a prompt or a private config file; --token works but warns; no secret in
any log (DEBUG, websockets and httpx included), screen, exception, export or output; and hubtop only reads."""

from __future__ import annotations

import json
import logging
import ssl
import stat

import pytest
from kit import tls
from kit.app import settings_for, static_text, wait_for
from kit.cli import no_config
from kit.client import Collector, Tee, connected, fast_settings, running
from kit.hub import Conn, HubServer, standard_world
from kit.raw import free_port
from kit.sim import simulator
from kit.threads import ServerThread
from kit.wait import wait_until
from kit.wire import HOST_A, frame

from tui.app.app import HubtopApp
from tui.live.feed import Feed
from tui.model.cluster import Cluster
from tui.protocol.errors import HubError
from tui.settings import SecretStr, Settings, build_settings
from tui.transport.client import PING, HubClient
from tui.transport.rest import HubRest

pytestmark = pytest.mark.timeout(60)

PING_FRAME = {"event_type": "health", "message": "ping"}
CLIENT_ID_FRAME = {"event_type": "system", "message": "client-id"}
READS = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/orchestrator/hosts"),
    ("GET", "/api/v1/orchestrator/machines"),
    ("POST", "/api/v1/ws/unsubscribe"),
    ("GET", "/api/v1/ws/subscribe"),  # the WebSocket itself
}

# distinctive secrets of this file, so a leak cannot hide behind a common word
TOKEN = "tok-9f2c71-SECURITY-ONLY"
PASSWORD = "pw-Xq7-SECURITY-hunter2"
API_KEY = "a2V5LTViZTA6U0VDVVJJVFktMHhmZWVk"  # base64 of key-5be0:SECURITY-0xfeed, as the server hands it out
WRONG_PASSWORD = "pw-WRONG-SECURITY-letmein"


def tls_server(**kw) -> HubServer:
    """A hub with the standard world over TLS, its certificate from the test CA (:func:`kit.tls.ca`)."""
    hub = HubServer(token=TOKEN, ssl_context=tls.server_context("127.0.0.1", "localhost"), **kw)
    standard_world(hub)
    return hub


# ------------------------------------------------------------------------------------------------ TLS


def test_tls_is_verified_by_default():
    for url in ("wss://hub.example:8443", "https://hub.example:8443"):
        s = Settings(url=url)
        assert s.api_base.startswith("https://") and s.ws_base.startswith("wss://")
        ctx = s.ssl_context()
        assert ctx is not None and ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname
    assert Settings(url="http://hub.example").ssl_context() is None


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


def test_the_cli_says_it_in_one_line(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
    with ServerThread(tls_server()) as hub:
        for command in (["status"], ["tail", "--count", "1"]):
            code = main([*command, "--url", hub.url])
            out, err = capsys.readouterr()
            assert code == 3 and out == ""
            lines = err.splitlines()
            assert len(lines) == 1, err
            assert lines[0].startswith(f"hubtop: TLS certificate of {hub.url} is not trusted")
            assert "--ca-file" in lines[0] and "--insecure" in lines[0]
            assert TOKEN not in err


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


def test_the_cli_with_ca_file_or_insecure(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
    ca_file = tls.ca_file(tmp_path)
    with ServerThread(tls_server()) as hub:
        for flags in (["--ca-file", str(ca_file)], ["--insecure"]):
            code = main(["status", "--json", "--url", hub.url, *flags])
            out, err = capsys.readouterr()
            assert code == 2, err  # the standard world has an unhealthy host: CRITICAL, but it connected
            assert {h["id"] for h in json.loads(out)["hosts"]} >= {HOST_A}
        monkeypatch.setenv("HUBTOP_INSECURE", "1")
        assert main(["status", "--url", hub.url]) == 2
        capsys.readouterr()


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
            settings.timeout = 5.0
            feed = Feed(Cluster())
            client = HubClient(settings, feed)
            async with running(client):
                await wait_until(lambda f=feed: connected(f), what=f"connected with the secret from the {way}")
            assert PASSWORD not in repr(settings) and TOKEN not in repr(settings) and API_KEY not in repr(settings)
        assert asked == [sim.user]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_config_file_with_a_secret_readable_by_others_is_refused(tmp_path, monkeypatch, capsys, mode):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'url = "http://127.0.0.1:{free_port()}"\ntoken = "{TOKEN}"\n')
    cfg.chmod(mode)
    monkeypatch.setenv("HUBTOP_CONFIG", str(cfg))
    assert stat.S_IMODE(cfg.stat().st_mode) == mode
    assert main(["status"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "holds a secret but other users can read it" in err and f"chmod 600 {cfg}" in err
    assert TOKEN not in out + err


def test_token_on_the_command_line_works_but_warns(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    with ServerThread(HubServer(token=TOKEN)) as hub:
        standard_world(hub)
        code = main(["status", "--url", hub.url, "--token", TOKEN])
        out, err = capsys.readouterr()
        assert code == 2  # connected: an unhealthy host in the standard world
        assert hub.attempts[0].headers["Authorization"] == f"Bearer {TOKEN}"
        assert "--token on the command line is visible to other users" in err
        assert "HUBTOP_TOKEN" in err
        assert TOKEN not in out + err
        # from the environment: no warning
        monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
        assert main(["status", "--url", hub.url]) == 2
        assert "--token" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ no secret anywhere


def assert_nowhere(secrets: list[str], texts: dict[str, str]) -> None:
    for secret in secrets:
        assert secret
        for where, text in texts.items():
            assert secret not in text, f"a secret ({secret[:6]}…) leaked into {where}"


def log_text(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
    return "\n".join(parts)


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


async def test_no_secret_on_screen_and_hubtop_only_reads(caplog, capfd, tmp_path):
    """The app against the simulator, with a token that expires on a live connection, a channel turned off
    and on, an export: no secret in the screen, the export, the logs or the output; and the server saw nothing
    but the reads and the two client frames."""
    caplog.set_level(logging.DEBUG)
    renewed = "tok-RENEWED-SECURITY-5c3a"
    async with simulator(recorded=True, hosts=3, vms=2, seed=9, token=TOKEN, password=PASSWORD,
                         api_key=API_KEY) as sim:
        rec = sim.rec
        settings = settings_for(sim, user=sim.user, password=SecretStr(PASSWORD), ping_interval=0.2,
                                backoff_base=0.05, backoff_cap=0.2)
        app = HubtopApp(settings, export_dir=tmp_path)
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: connected(app.monitor.feed), what="connected")
            app.toggle_channel("health")  # off: unsubscribe in place
            await wait_for(pilot, lambda: "health" not in app.monitor.feed.status.subscriptions, what="health off")
            app.toggle_channel("health")  # on: a planned reconnect
            await wait_for(pilot, lambda: connected(app.monitor.feed, 2) and "health" in app.monitor.feed.status.subscriptions,
                           what="health on")
            await wait_for(pilot, lambda: len([f for f in rec.frames if json.loads(f[1]) == PING_FRAME]) >= 2,
                           what="pings")
            sim.token = renewed  # the token expires: the server refuses it and drops the connection
            await sim.drop_all(1008)
            await wait_for(pilot, lambda: connected(app.monitor.feed, 3), what="connected after a fresh login")
            await pilot.press("e")
            await wait_for(pilot, lambda: app.last_export is not None, what="the export")
            await pilot.pause(0.3)
            texts = {
                "the screen": app.export_screenshot(),
                "the status bar": static_text(app.status_bar, width=400),
                "the export": app.last_export.read_text(),
                "notes": "\n".join(n.text for n in app.monitor.feed.notes),
            }
            await pilot.press("q")
    texts["logs"] = log_text(caplog)
    out, err = capfd.readouterr()
    texts["output"] = out + err
    assert_nowhere([TOKEN, renewed, PASSWORD, API_KEY], texts)
    # hubtop only reads: logins, the two listings, unsubscribe, and the WebSocket
    calls = {(method, path) for method, path, _ in rec.requests}
    assert calls == READS, calls
    assert ("POST", "/api/v1/auth/token", 200) in rec.requests
    assert {json.dumps(json.loads(text), sort_keys=True) for _, text in rec.frames} == {
        json.dumps(PING_FRAME, sort_keys=True)}


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
