"""A hostile hub against what hubtop writes to a terminal: the TUI's byte stream in a real pseudo-terminal,
``status`` (table, JSON, stderr), ``tail`` and the export. No payload's control sequence gets through raw; the
JSON stays valid and means what the server sent."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest
from kit.cli import ROOT, cli_env, hubtop
from kit.hostile import HostileHub, answer
from kit.hub import Conn, HubServer
from kit.payloads import CLOSE, HOSTILE, hostile_hub, raw_controls, signatures_in
from kit.threads import ServerThread
from kit.wire import HOST_A, frame, host_record


def _tui_bytes(url: str, seconds: float, size: tuple[int, int] = (160, 50)) -> bytes:
    """Run the TUI in a pty for ``seconds`` and return every byte it wrote; then quit it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = cli_env(HUBTOP_TOKEN="tok-initial", TERM="xterm-256color")
    proc = subprocess.Popen([sys.executable, "-m", "tui", "--url", url], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        os.write(master, b"q")
        end = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        os.close(master)
    return bytes(out)


def test_the_tuis_byte_stream_carries_no_payload():
    with ServerThread(HubServer()) as hub:
        hostile_hub(hub)
        data = _tui_bytes(hub.url, 6.0)
    assert len(data) > 10_000, "the app drew its screen"
    assert not signatures_in(data), signatures_in(data)
    assert "␛]0;PWNED-title␇".encode() in data  # the payload is there, as visible text


def _listings_only(hub: HubServer) -> None:
    hostile_hub(hub)
    hub.script = None


async def test_status_table_and_stderr_are_clean_and_the_verdict_stands():
    async with HubServer() as hub:
        _listings_only(hub)
        # a description crafted to paint "HUBTOP OK" over the real line with CR and cursor movement
        hub.hosts[1]["description"] = "\r\x1b[1A\x1b[2KHUBTOP OK - 2 hosts; all hosts healthy\n"
        hub.hosts[1]["state"] = "unhealthy"
        run = await hubtop("status", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"), )
    assert run.rc == 2 and run.lines[0].startswith("HUBTOP CRITICAL")
    assert not raw_controls(run.out, allow="\n") and not raw_controls(run.err, allow="\n")
    assert sum(line.startswith("HUBTOP ") for line in run.lines) == 1


async def test_status_json_is_ascii_and_the_same_values():
    async with HubServer() as hub:
        _listings_only(hub)
        run = await hubtop("status", "--json", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"))
    assert not raw_controls(run.out, allow="\n")
    doc = json.loads(run.out)
    described = {h["id"]: h["description"] for h in doc["hosts"]}
    assert described[HOST_A] == HOSTILE


async def test_stderr_of_a_hostile_503_and_close_reason_is_clean():
    async with HostileHub() as hub:
        hub.handlers["/api/v1/ws/subscribe"] = answer(503, {"code": 503, "message": HOSTILE, "stack": []})
        run = await hubtop("status", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"))
    assert run.rc == 3
    assert not raw_controls(run.err, allow="\n") and run.err.count("\n") == 1


async def test_tail_lines_are_json_without_raw_controls():
    async with HubServer() as hub:
        sent: list[dict] = []

        async def script(conn: Conn) -> None:
            for i in range(3):
                body = {"host_id": HOST_A, "log": {"level": "info", "message": f"{i}{HOSTILE}", "time": ""}}
                text = frame("orchestrator", "HOST_LOGS_UPDATE", body)
                # as Go writes it: non-ASCII raw (C1 controls and U+202E as UTF-8, not \\u escapes)
                raw = json.dumps(json.loads(text), ensure_ascii=False)
                sent.append(json.loads(raw))
                await conn.send(raw)
            await conn.send(json.dumps(json.loads(frame("health", "pong")), indent=2))  # line breaks in it
            await asyncio.sleep(0.2)
            await conn.close(4000, CLOSE)

        hub.script = script
        hub.hosts = [host_record(HOST_A, "a.local")]
        run = await hubtop("tail", "--count", "5", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"))
    assert run.rc == 0
    assert not raw_controls(run.out, allow="\n") and not raw_controls(run.err, allow="\n")
    frames = [json.loads(line) for line in run.lines]
    logs = [f for f in frames if f["message"] == "HOST_LOGS_UPDATE"]
    assert logs == sent  # the same values, escaped
    assert any(f["message"] == "pong" for f in frames)


@pytest.mark.parametrize("plant", ["symlink", "file"])
def test_export_never_follows_a_planted_name_and_is_private(tmp_path, plant):
    from tui.model.journal import Journal

    victim = tmp_path / "victim.rc"
    victim.write_text("precious\n")
    target = tmp_path / "hubtop-export.jsonl"
    if plant == "symlink":
        target.symlink_to(victim)
    else:
        target.write_text("someone else's\n")
    journal = Journal()
    with pytest.raises(FileExistsError):
        journal.export(target)
    assert victim.read_text() == "precious\n"
    fresh = tmp_path / "fresh.jsonl"
    journal.export(fresh)
    assert (fresh.stat().st_mode & 0o777) == 0o600
