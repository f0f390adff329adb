"""Error answers as the real server writes them (the protocol reference, "Error bodies"), and as a hostile one
might: each becomes one readable line with the server's own sentence, made safe for a terminal, cut short,
without the diagnostics dump and without any secret the server repeats."""

from __future__ import annotations

import asyncio

import pytest
from kit.client import Collector, fast_settings, running
from kit.hostile import HostileHub, answer, redirect_to
from kit.hub import ENCODED_KEY as KEY
from kit.hub import standard_world
from kit.threads import ServerThread
from kit.wait import wait_until

from tui.protocol.errors import HubError
from tui.settings import SecretStr
from tui.transport.client import HubClient
from tui.transport.rest import HubRest

pytestmark = pytest.mark.timeout(60)

SUBSCRIBE = "/api/v1/ws/subscribe"
HOSTS = "/api/v1/orchestrator/hosts"

OAUTH_401 = {"error": "unauthorized_client", "error_description": "token has invalid claims: token is expired"}


def diagnostics(code: int, sentence: str) -> dict:
    """The body of a /ws/* 400 or 503: a multi-line summary in ``message``, the sentence in diagnostics."""
    dump = (f"Operation: api error response\nDuration: 41.2µs\nErrors: 1\nWarnings: 0\n\nErrors:\n"
            f"  1. [{code}] {sentence}\n\nExecution Path:\n  1. HandleWebSocketConnection (eventemitter) - "
            "websocket_handler.go:71\n")
    return {"message": dump, "code": code,
            "diagnostics": {"operation": "api error response", "warnings": [], "path": [],
                            "errors": [{"code": str(code), "message": sentence,
                                        "component": "HandleWebSocketConnection"}]}}


def one_line(err: HubError) -> str:
    text = str(err)
    assert not any(ch in text for ch in "\n\r\x1b\x07\x9b\u202e"), text
    assert len(text) < 400, len(text)
    for word in ("Operation:", "Duration", "Execution Path", "S3CR3T"):
        assert word not in text, text
    return text


async def subscribe_error(hub: HostileHub, **settings) -> HubError:
    client = HubClient(fast_settings(hub.url, **settings), Collector(), fail_fast=True)
    try:
        with pytest.raises(HubError) as info:
            await asyncio.wait_for(client.run(), 10)
    finally:
        await client.aclose()
    return info.value


async def rest_error(hub: HostileHub, **settings) -> HubError:
    async with HubRest(fast_settings(hub.url, **settings)) as rest:
        with pytest.raises(HubError) as info:
            await asyncio.wait_for(rest.hosts(), 10)
    return info.value


# ------------------------------------------------------------------------------------------------ the real shapes


async def test_a_401_says_the_oauth_description_on_the_websocket_and_rest():
    async with HostileHub() as hub:
        hub.handlers[SUBSCRIBE] = hub.handlers[HOSTS] = answer(401, OAUTH_401)
        for err in (await subscribe_error(hub), await rest_error(hub)):
            assert err.kind == "auth" and err.status == 401
            assert one_line(err) == (f"authentication failed: token has invalid claims: token is expired (401 from "
                                     f"{hub.url}); check the token, API key or password")


@pytest.mark.parametrize(("status", "sentence", "line"), [
    (503, "Event emitter service is not running", "the Events Hub is not running on {url} (503): Event emitter "
     "service is not running"),
    (400, "Failed to upgrade connection: websocket: the client is not using the websocket protocol",
     "the server refused the subscribe endpoint (400): Failed to upgrade connection: websocket: the client is not "
     "using the websocket protocol"),
])
async def test_a_ws_diagnostics_body_shows_its_sentence_never_the_dump(status, sentence, line):
    async with HostileHub() as hub:
        hub.handlers[SUBSCRIBE] = answer(status, diagnostics(status, sentence))
        err = await subscribe_error(hub)
    assert one_line(err) == line.format(url=hub.url)


async def test_a_dump_without_its_diagnostics_still_gives_the_sentence():
    async with HostileHub() as hub:
        body = diagnostics(503, "Event emitter service is not running")
        del body["diagnostics"]
        hub.handlers[SUBSCRIBE] = answer(503, body)
        err = await subscribe_error(hub)
    assert one_line(err).endswith("(503): Event emitter service is not running")


async def test_another_api_error_shows_its_message_or_its_stack():
    async with HostileHub() as hub:
        hub.handlers[HOSTS] = answer(500, {"code": 500, "message": "", "stack": [
            {"error": "sql: database is closed", "description": "the catalog database is not reachable",
             "path": "/api/v1/orchestrator/hosts", "code": 500}]})
        err = await rest_error(hub)
    assert one_line(err) == f"unexpected answer 500 from {hub.url}: the catalog database is not reachable"


# ------------------------------------------------------------------------------------------------ hostile bodies


async def test_a_hostile_sentence_is_shown_as_text_and_cut_short():
    evil = "\x1b]0;PWNED\x07\x1b[2J\u202eevil\r\n[/][@click=app.quit]" + "x" * 5000
    async with HostileHub() as hub:
        hub.handlers[SUBSCRIBE] = answer(401, {"error": "unauthorized_client", "error_description": evil})
        hub.handlers[HOSTS] = answer(503, diagnostics(503, evil))
        for err in (await subscribe_error(hub), await rest_error(hub)):
            text = one_line(err)
            assert "␛]0;PWNED␇␛[2J\\u202eevil" in text and "[/][@click=app.quit]" in text
            assert "characters)" in text  # cut, and says so


async def test_a_server_that_repeats_the_decoded_api_key_does_not_leak_it():
    async with HostileHub(token=None) as hub:
        # the listing refuses the key, and so does the login hubtop tries with it next
        hub.handlers[HOSTS] = hub.handlers["/api/v1/auth/token"] = answer(401, {
            "code": 401, "message": "Invalid API key secret key-S3CR3T-secret for key-id (key-id:key-S3CR3T-secret)"})
        err = await rest_error(hub, token=None, api_key=SecretStr(KEY))
    assert "***" in one_line(err)


def test_status_says_the_401_in_one_line_and_exits_3(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUBTOP_TOKEN", "tok-expired")
    with ServerThread(HostileHub()) as hub:
        hub.handlers[SUBSCRIBE] = answer(401, OAUTH_401)
        assert main(["status", "--url", hub.url]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err == (f"hubtop: authentication failed: token has invalid claims: token is expired (401 "
                                 f"from {hub.url}); check the token, API key or password\n")


# ------------------------------------------------------------------------------------------------ kinds


def test_error_kinds_are_one_enum_equal_to_the_old_strings():
    from tui.protocol.errors import ErrorKind

    assert ErrorKind.AUTH == "auth" and HubError("x", "not_found").kind is ErrorKind.NOT_FOUND
    assert HubError("x").kind is ErrorKind.PROTOCOL
    stop = {k for k in ErrorKind if not HubError("x", k).retryable}
    assert stop == {"auth", "forbidden", "tls", "config", "not_found", "redirect"}
    with pytest.raises(ValueError):
        HubError("x", "no-such-kind")


async def test_the_client_keeps_trying_a_retryable_answer_and_stops_on_the_others():
    """503 is worth retrying; a redirect (the new kind) is not: the URL needs a person."""
    async with HostileHub() as hub, HostileHub() as other:
        standard_world(hub)
        unavailable = answer(503, diagnostics(503, "Event emitter service is not running"))
        hub.handlers[SUBSCRIBE] = other.handlers[SUBSCRIBE] = unavailable
        collector = Collector()
        client = HubClient(fast_settings(hub.url), collector)
        async with running(client) as task:
            await collector.wait(lambda c: len([s for s in c.statuses if s.state == "reconnecting"]) >= 3,
                                 what="three retries")
            assert not task.done()
            hub.handlers[SUBSCRIBE] = redirect_to(f"{other.url}{SUBSCRIBE}")
            await wait_until(task.done, timeout=3, what="the stop")
    last = collector.statuses[-1]
    assert last.state == "stopped" and last.error.kind == "redirect" and not other.requests
