"""The command line's basics, as a user runs it (``python -m tui ...`` or the ``hubtop`` script in a subprocess):
help, which commands never import Textual, ``simulate``, usage errors, and where credentials come from.
Every run is checked for tracebacks, "Exception ignored" noise and leaked secrets (:func:`kit.cli.hubtop`)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time

from kit.cli import (
    API_KEY,
    HEALTHY_SEED,
    HOSTS,
    HUBTOP,
    PASSWORD,
    SICK_SEED,
    TOKEN,
    VMS,
    cli_env,
    cli_simulator,
    finish,
    hubtop,
    one_line_error,
    readline,
    spawn,
    with_token,
)

from tui.sim import World

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
