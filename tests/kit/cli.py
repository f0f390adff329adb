"""The command line as a user runs it: ``python -m tui ...`` (or the ``hubtop`` script) in a subprocess, with the
environment of a user who has no hubtop settings; what it printed and how it ended (:class:`Run`); the CLI
tests' simulator and what to read of its world; and, for a test that calls ``tui.cli.main`` in-process,
:func:`no_config`. Every run through :func:`hubtop` is checked for tracebacks, "Exception ignored" noise and
leaked secrets. Timeouts are hang guards only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from kit.sim import simulator
from kit.wait import wait_until
from tui.sim import Simulator

ROOT = Path(__file__).resolve().parents[2]
HUBTOP = Path(sys.executable).with_name("hubtop")
JQ = shutil.which("jq") or ("/usr/bin/jq" if Path("/usr/bin/jq").exists() else None)

TOKEN = "cli-tok-S3CR3T-a1b2c3"
PASSWORD = "cli-pw-S3CR3T-hunter2"
API_KEY = "Y2xpLWtleTpTM0NSM1QtMHhmZWVk"  # base64 of cli-key:S3CR3T-0xfeed, as the server hands it out
WRONG_TOKEN = "cli-wrong-S3CR3T-token"
SECRETS = (TOKEN, PASSWORD, API_KEY, WRONG_TOKEN)

HOSTS, VMS = 4, 3
#: World(hosts=4, vms=3) with this seed starts with every host healthy ...
HEALTHY_SEED = 1
#: ... and with this one, with exactly one host unhealthy
SICK_SEED = 22

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
#: a hang guard for one CLI run
RUN_TIMEOUT = 30.0
#: a hang guard for waiting on the server to see the CLI (a cold interpreter start on a busy machine)
CONNECT_TIMEOUT = 20.0


# ------------------------------------------------------------------------------------------------ running


@dataclass
class Run:
    rc: int
    out: str
    err: str
    elapsed: float

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a user with no hubtop settings: no ``HUBTOP_*`` (but a config path that does not
    exist), and stdout buffered as it is for anyone (no ``PYTHONUNBUFFERED``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBTOP_") and k != "PYTHONUNBUFFERED"}
    env["HUBTOP_CONFIG"] = str(ROOT / "tests" / "no-such-dir" / "config.toml")
    env.update(extra)
    return env


def _default_sigint() -> None:
    # a child started from a shell's background job inherits SIGINT ignored, and Python then never raises
    # KeyboardInterrupt; a user's hubtop has the default disposition, so give the child that
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def spawn(*args: str, env: dict[str, str] | None = None, program: str | None = None,
                python_flags: tuple[str, ...] = ()) -> asyncio.subprocess.Process:
    cmd = [program] if program else [sys.executable, *python_flags, "-m", "tui"]
    return await asyncio.create_subprocess_exec(
        *cmd, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env if env is not None else cli_env(), cwd=ROOT,
        preexec_fn=_default_sigint,
    )


async def finish(proc: asyncio.subprocess.Process, started: float | None = None, timeout: float = RUN_TIMEOUT,
                 head: str = "") -> Run:
    """Wait for ``proc`` and collect its output (``head``: stdout already read by the test)."""
    started = time.monotonic() if started is None else started
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"hubtop still running after {timeout} s; stderr: {err.decode()[-2000:]}") from None
    assert proc.returncode is not None
    return Run(proc.returncode, head + out.decode(), err.decode(), time.monotonic() - started)


async def hubtop(*args: str, env: dict[str, str] | None = None, **kw: Any) -> Run:
    started = time.monotonic()
    run = await finish(await spawn(*args, env=env, **kw), started)
    assert_clean(run)
    return run


async def shell(script: str, **env: str) -> Run:
    """``bash -c script`` (for real pipes), with ``$PY`` the interpreter and ``env`` added."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", script, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=cli_env(PY=sys.executable, **env), cwd=ROOT,
        preexec_fn=_default_sigint,
    )
    run = await finish(proc, started)
    assert_clean(run)
    return run


async def readline(proc: asyncio.subprocess.Process, timeout: float = CONNECT_TIMEOUT) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    assert line, "stdout ended early"
    return line.decode()


def assert_clean(run: Run) -> None:
    """What no user may ever see: a traceback, Python's shutdown noise, a secret."""
    for text in (run.out, run.err):
        assert "Traceback" not in text, text
        assert "Exception ignored" not in text, text
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked: {text}"


def one_line_error(run: Run) -> str:
    """The one line on stderr that says why; returns it."""
    lines = run.err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {run.err!r}"
    assert lines[0].startswith("hubtop: "), lines[0]
    return lines[0]


def with_token(**extra: str) -> dict[str, str]:
    return cli_env(HUBTOP_TOKEN=TOKEN, **extra)


# ------------------------------------------------------------------------------------------------ servers


#: the simulator of the CLI tests (over :func:`kit.sim.simulator`'s own defaults, each overridable): the CLI's
#: token and a small seeded world, ``frozen`` (the world never moves by itself, so what the CLI prints can be
#: compared with ``sim.world``) and ``reorder`` off (what a test emits arrives in the order it was emitted, so
#: the output can be compared with it line by line)
cli_simulator = functools.partial(simulator, token=TOKEN, hosts=HOSTS, vms=VMS, seed=HEALTHY_SEED, frozen=True,
                                  reorder=False)


async def accepted(sim: Simulator, proc: asyncio.subprocess.Process, n: int = 1) -> None:
    """Wait until the simulator has accepted the CLI's ``n``-th subscription."""
    await wait_until(lambda: len(sim.connections) >= n or proc.returncode is not None, CONNECT_TIMEOUT,
                     f"subscription {n} of the CLI")
    assert proc.returncode is None, "the CLI ended before it subscribed"


def health_update(host_id: str, state: str) -> tuple[str, str, dict]:
    """What ``sim.emit`` takes for a host's health change."""
    return ("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": host_id, "state": state})


def link_update(host_id: str, message: str, state: str) -> tuple[str, str, dict]:
    """What ``sim.emit`` takes for a change of a host's live link."""
    return ("orchestrator", message, {"host_id": host_id, "state": state})


def world_hosts(sim: Simulator) -> list[dict]:
    return sim.world.hosts_json()


def hostname(record: dict) -> str:
    return record["host"].split("//")[1].split(":")[0]


def vm_summary(sim: Simulator, host_id: str) -> str:
    """What the table's VMS column says for a host of the world: ``2 running, 1 stopped``."""
    counts = Counter(vm["State"] for vm in sim.world.machines_json() if vm["host_id"] == host_id)
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def table_rows(run: Run) -> dict[str, dict[str, str]]:
    """The status table, by host label, cut at the header's column offsets."""
    lines = run.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("HOST "))
    header = lines[start]
    names = ["HOST", "STATE", "LINK", "VMS", "LAST HEARD"]
    offsets = [header.index(name) for name in names]
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = [line[a:b].strip() for a, b in zip(offsets, [*offsets[1:], None], strict=True)]
        rows[cells[0]] = dict(zip(names, cells, strict=True))
    return rows


@contextlib.asynccontextmanager
async def web_server(status: int, body: str, content_type: str = "text/html") -> AsyncIterator[str]:
    """A web server that is no hub: every path answers ``status`` with ``body``."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def no_config(monkeypatch, tmp_path) -> None:
    """For ``tui.cli.main`` in-process: keep the developer's own config file and ``HUBTOP_*`` variables out."""
    for key in list(os.environ):
        if key.startswith("HUBTOP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "no-such-config.toml"))
