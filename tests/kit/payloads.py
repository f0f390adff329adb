"""Hostile text: what a server (or whoever can name a VM or describe a host) may put in any string.

Each payload carries a marker right after its control sequence, so a test reading a terminal's byte stream can
tell the payload's own bytes from the escape sequences the app writes itself.
"""

from __future__ import annotations

import asyncio
import re

from kit.hub import Conn, HubServer
from kit.wire import HOST_A, HOST_B, frame, host_record, vm_record
from tui.protocol.text import (
    _UNSAFE,  # the set the boundary covers (a unit test checks it against unicodedata)
)

PAYLOADS: dict[str, str] = {
    "osc-title": "\x1b]0;PWNED-title\x07",
    "osc52": "\x1b]52;c;cHduZWQtY2xpcGJvYXJk\x07",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click-me\x1b]8;;\x1b\\",
    "csi-clear": "\x1b[2JCLEAR-MARK",
    "ris": "\x1bcRIS-MARK",
    "cr": "\rCR-MARK",
    "bs": "\x08\x08BS-MARK",
    "c1-csi": "\x9b2JC1CSI-MARK",
    "c1-osc": "\x9d0;C1OSC-MARK\x9c",
    "rlo": "\u202eRLO-MARK",
    "isolates": "\u2066LRI\u2067RLI\u2068FSI\u2069",
    "zwj": "Z\u200dW\u200cJ\u200bMARK",
    "markup": "[/]x [@click=app.quit]click[/] [link=http://x]y[/link] runner [x86_64] [bold]b",
}
HOSTILE = "".join(PAYLOADS.values())

#: byte strings that must never reach a terminal: each payload's control sequence with its marker
SIGNATURES: tuple[bytes, ...] = (
    b"\x1b]0;PWNED", b"\x1b]52;", b"\x1b]8;;http://evil", b"\x1b[2JCLEAR-MARK", b"\x1bcRIS-MARK", b"\rCR-MARK",
    b"\x08BS-MARK", "\x9b2JC1CSI".encode(), "\x9d0;C1OSC".encode(), "\u202eRLO".encode(), "\u2066LRI".encode(),
    "Z\u200dW".encode(),
)


def raw_controls(text: str, allow: str = "") -> list[str]:
    """Every character in ``text`` that a terminal may act on or that hides or reorders text."""
    return [ch for ch in _UNSAFE.findall(text) if ch not in allow]


def signatures_in(data: bytes) -> list[bytes]:
    return [sig for sig in SIGNATURES if sig in data]


#: "[@click=app.quit]" shown literally means it was not markup
LITERAL_MARKUP = re.compile(re.escape("[@click=app.quit]click[/]"))


CLOSE = "\x1b]0;PWNED-close\x07[/]"


def hostile_hub(hub: HubServer) -> None:
    """Hostile text in every field of the listings, and a script of hostile frames ending in a hostile close."""
    hub.hosts = [
        host_record(HOST_A, "mac-01.local", description=HOSTILE, os_name=HOSTILE, os_version=HOSTILE,
                    cpu_model=HOSTILE, architecture=HOSTILE, devops_version=HOSTILE, tags=[HOSTILE, "ci"],
                    parallels_desktop_version=HOSTILE),
        host_record(HOST_B, "mac-02.local", state=HOSTILE, description="plain"),
    ]
    vm = vm_record("v1", HOST_A, HOSTILE, "running", HOSTILE)
    vm.update(Description=HOSTILE, Uptime=HOSTILE)
    hub.machines = [vm, vm_record("v2", HOST_A, "plain-vm", HOSTILE, "ubuntu")]

    async def script(conn: Conn) -> None:
        send = conn.send
        await send(frame("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST_A, "log": {
            "level": HOSTILE, "message": HOSTILE, "time": HOSTILE}}))
        await send(frame("orchestrator", "HOST_DEPLOYED", {"host_id": HOST_A, "host": HOSTILE, "message": HOSTILE}))
        await send(frame("orchestrator", "HOST_ADDED", {"host_id": "c0ffee" * 10, "host": HOSTILE,
                                                        "description": HOSTILE}))
        await send(frame("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": HOST_A, "event": {
            "vm_id": "v2", "previous_state": HOSTILE, "current_state": HOSTILE}}))
        await send(frame("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {
            "cpu_percent": 3, "memory_bytes": 5, HOSTILE: HOSTILE}}))
        await send(frame("orchestrator", "NEW_" + HOSTILE, {"host_id": HOST_A, "message": HOSTILE}))
        await send(frame("mystery" + HOSTILE, HOSTILE, {"status": HOSTILE}))
        await send(frame("global", "error", {"error": HOSTILE}))
        await send("not json " + HOSTILE)
        await send(frame("orchestrator", "HOST_CATALOG_CACHE_EVENT", {"host_id": HOST_A, "event": {
            "id": "n1", "event_type": "catalog_cache", "message": HOSTILE, "body": {"catalog_id": HOSTILE}}}))
        await asyncio.sleep(0.5)
        await conn.close(4000, CLOSE)

    hub.script = script


