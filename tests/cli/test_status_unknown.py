"""``hubtop status`` says UNKNOWN (exit 3) in one line on stderr, and nothing on stdout, when it cannot tell: a
wrong or missing token, nothing listening, a web server that is no hub, a hub that is not running, TLS it cannot
trust, a usage error. Against servers on 127.0.0.1 in the test's own event loop."""

from __future__ import annotations

import asyncio

import pytest
from kit import tls
from kit.cli import (
    PASSWORD,
    TOKEN,
    WRONG_TOKEN,
    cli_env,
    hubtop,
    one_line_error,
    web_server,
    with_token,
)
from kit.hub import HubServer, standard_world
from kit.raw import free_port


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
