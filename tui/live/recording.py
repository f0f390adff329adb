"""The recording format: what ``hubtop record`` writes, the TUI's export, and what ``hubtop replay`` reads.

JSON lines, gzip-compressed when the file name ends in ``.gz`` (a reader looks at the first bytes, not the name).
Every line is one JSON object with a kind ``k``, written ASCII-escaped (no raw control or format character
reaches a terminal that shows the file):

- ``{"k": "header", "format": "hubtop-recording", "version": 1, "created_at", "source", "url", "channels",
  "part"}``: first in every file (``source`` is ``record`` or ``export``; ``part`` counts rotated files from 0).
- ``{"k": "snapshot", "at", "hosts": [...], "vms": [...], "since"?, "resync"?, "down_since"?, "reason"?,
  "problems"?, "unreadable"?, "rotation"?}``: the REST listings the client took (after each connect and each
  resync), as records of the server's shape; ``at`` is when they arrived. ``rotation``: the model's listing that
  begins a rotated part (so that it replays alone; skipped by a replay that went through the parts before it).
- ``{"k": "frames", "at", "frames": ["<frame text>", ...]}``: the text frames of one read from the socket, exactly
  as received (a JSON string each: the text round-trips byte for byte), with their arrival time.
- ``{"k": "binary", "at", "data": "<base64>"}``: a binary frame.
- ``{"k": "malformed", "at", "reason", "excerpt", "size"}``: a refused frame of which only an excerpt is known
  (an export: the journal keeps no more).
- ``{"k": "status", "at", "state", "text", "reason"?, "client_id"?, "subscriptions"?, "error"?}``: the
  connection's state (``error``: a failure ended it, not a stop that was asked for).
- ``{"k": "loss", "at", "frames"}``: a full flush of the server's queue arrived (frames may have been lost).
- ``{"k": "note", "at", "level", "text"}``: something a person should know (an export's gap rows, notes).

Times are Unix seconds (floats) of the machine that recorded. Replaying delivers the same items a hub client
delivered, in the same order, with these times: the model ends where the live one did.
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ..model.cluster import Cluster
from ..model.entities import LOCAL_HOST_ID, Link
from ..model.journal import Entry, Gap, GapKind, Journal
from ..protocol.items import Loss, Snapshot, Status
from ..protocol.parse import Event, Malformed, Note
from ..protocol.records import HostRecord, VMRecord, read_records
from ..protocol.text import json_safe

FORMAT = "hubtop-recording"
VERSION = 1
GZIP_MAGIC = b"\x1f\x8b"


def dumps(record: dict[str, Any]) -> str:
    """One line of a recording (no newline): compact, ASCII-escaped."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True)


# ------------------------------------------------------------------ files


def open_new(path: str | Path) -> IO[str]:
    """A new recording file for writing text: never an existing file, never through a symlink, readable by
    its owner only (it holds what the server sent), gzip-compressed when the name ends in ``.gz``."""
    path = Path(path).expanduser()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    raw = os.fdopen(fd, "wb")
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(_gzip(raw, "wb"), encoding="ascii", newline="\n")
    return io.TextIOWrapper(raw, encoding="ascii", newline="\n")


def _gzip(raw: IO[bytes], mode: str) -> gzip.GzipFile:
    gz = gzip.GzipFile(fileobj=raw, mode=mode, compresslevel=6)
    gz.myfileobj = raw  # closed with it (GzipFile closes only a file it opened itself)
    return gz


def open_read(path: str | Path) -> IO[str]:
    """A recording for reading, gzip or not (told by its first bytes)."""
    path = Path(path).expanduser()
    raw = open(path, "rb")  # noqa: SIM115 - handed to the wrapper, closed with it
    if raw.peek(2)[:2] == GZIP_MAGIC:
        return io.TextIOWrapper(_gzip(raw, "rb"), encoding="utf-8", errors="replace")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def part_path(path: str | Path, part: int) -> Path:
    """The name of rotated part ``part`` of a recording: ``rec.jsonl.gz`` -> ``rec.1.jsonl.gz`` (part 0 is the
    name itself)."""
    path = Path(path)
    if part == 0:
        return path
    name = path.name
    ext = ""
    for suffix in (".gz", ".jsonl", ".ndjson", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name, ext = name[: -len(suffix)], suffix + ext
    return path.with_name(f"{name}.{part}{ext}")


# ------------------------------------------------------------------ records of items


def header(*, source: str, url: str = "", channels: Iterable[str] = (), part: int = 0,
           created_at: float | None = None) -> dict[str, Any]:
    return {"k": "header", "format": FORMAT, "version": VERSION, "created_at": time.time() if created_at is None
            else created_at, "source": source, "url": url, "channels": list(channels), "part": part}


@functools.cache
def _list_adapter(kind: type):
    from pydantic import TypeAdapter

    return TypeAdapter(list[kind])  # type: ignore[valid-type]


def snapshot_line(snapshot: Snapshot, rotation: bool = False) -> str:
    """A snapshot as one line. The records are written by pydantic-core in one pass each (20,000 VMs: no dict
    per record in Python), fields left at their defaults out. ``rotation``: the model's listing at the start of a
    rotated part, for replaying that part alone (a replay that went through the parts before skips it)."""
    head: dict[str, Any] = {"k": "snapshot", "at": snapshot.at}
    if rotation:
        head["rotation"] = True
    for name in ("since", "resync", "down_since"):
        value = getattr(snapshot, name)
        if value is not None:
            head[name] = value
    if snapshot.reason:
        head["reason"] = snapshot.reason
    if snapshot.problems:
        head["problems"] = [list(p) for p in snapshot.problems]
    if snapshot.unreadable:
        head["unreadable"] = snapshot.unreadable
    hosts = _list_adapter(HostRecord).dump_json(snapshot.hosts, exclude_defaults=True).decode()
    vms = _list_adapter(VMRecord).dump_json(snapshot.vms, exclude_defaults=True).decode()
    return json_safe(f'{dumps(head)[:-1]},"hosts":{hosts},"vms":{vms}}}')


def read_snapshot(record: dict[str, Any]) -> Snapshot:
    """The :class:`Snapshot` of a snapshot line (records read as a listing is: a bad field costs that field)."""
    hosts, host_problems, unreadable = read_records(HostRecord, record.get("hosts") or [])
    vms, vm_problems, _ = read_records(VMRecord, record.get("vms") or [])
    problems = [tuple(p) for p in record.get("problems") or () if isinstance(p, list) and len(p) == 2]
    return Snapshot(hosts, vms, down_since=_number(record.get("down_since")), reason=str(record.get("reason") or ""),
                    at=_number(record.get("at")) or 0.0, resync=record.get("resync"),
                    since=_number(record.get("since")), problems=[*problems, *host_problems, *vm_problems],
                    unreadable=int(record.get("unreadable") or 0) + unreadable)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def status_record(status: Status) -> dict[str, Any]:
    rec: dict[str, Any] = {"k": "status", "at": status.at, "state": str(status.state), "text": status.text}
    if status.reason:
        rec["reason"] = status.reason
    if status.client_id:
        rec["client_id"] = status.client_id
    if status.subscriptions:
        rec["subscriptions"] = list(status.subscriptions)
    if status.error is not None:
        rec["error"] = True  # the state is a failure's (its words are in the text)
    return rec


def item_record(item: Any) -> dict[str, Any] | None:
    """The record of a client's item that is not a frame (``None`` for one that is not recorded)."""
    cls = item.__class__
    if cls is Status:
        return status_record(item)
    if cls is Loss:
        return {"k": "loss", "at": item.at, "frames": item.frames}
    if cls is Note:
        return {"k": "note", "at": item.received_at, "level": item.level, "text": item.text}
    if cls is Malformed:
        return {"k": "malformed", "at": item.received_at, "reason": item.reason, "excerpt": item.excerpt,
                "size": item.size}
    return None


def binary_record(at: float, data: bytes) -> dict[str, Any]:
    return {"k": "binary", "at": at, "data": base64.b64encode(bytes(data)).decode("ascii")}


# ------------------------------------------------------------------ the model's listing


def listing(cluster: Cluster, at: float | None = None) -> Snapshot:
    """The model as REST listings would show it now: every host with a record (its state and link as the model
    has them) and every VM. What a listing cannot say (a degraded link, hosts known only from pdfm events) is
    left out. Read under the feed's lock."""
    hosts: list[HostRecord] = []
    vms: list[VMRecord] = []
    for host in cluster.hosts.values():
        if host.id == LOCAL_HOST_ID:
            continue
        if host.record is not None and not host.placeholder:
            update: dict[str, Any] = {"state": "" if host.health == "unknown" else str(host.health),
                                      "host": host.url, "description": host.description}
            if host.link in (Link.CONNECTED, Link.DISCONNECTED):
                update["has_websocket_events"] = host.link == Link.CONNECTED
            hosts.append(host.record.model_copy(update=update))
        for vm in host.vms.values():
            vms.append(VMRecord(id=vm.id, name=vm.name, state=str(vm.state), os=vm.os, uptime=vm.uptime,
                                description=vm.description, host_id=host.id, internal_ip_address=vm.ip))
    known = {h.id for h in hosts} | {v.id for v in vms}
    problems = [key for key in cluster.problems if key[0] in known]
    return Snapshot(hosts, vms, at=time.time() if at is None else at, problems=problems,
                    unreadable=cluster.unreadable_records)


# ------------------------------------------------------------------ an export: a journal as a recording


def entry_lines(entries: Iterable[Entry]) -> Iterator[str]:
    """Journal entries as recording lines: events as their frames (those of one arrival time together),
    malformed frames as what is known of them, a suspected loss as a loss, other gap rows as notes."""
    burst: list[str] = []
    burst_at: float | None = None
    for entry in entries:
        cls = entry.__class__
        if cls is Event:
            if burst_at != entry.received_at and burst:
                yield dumps({"k": "frames", "at": burst_at, "frames": burst})
                burst = []
            burst_at = entry.received_at
            burst.append(entry.raw)
            continue
        if burst:
            yield dumps({"k": "frames", "at": burst_at, "frames": burst})
            burst, burst_at = [], None
        if cls is Gap:
            if entry.kind is GapKind.LOSS:
                yield dumps({"k": "loss", "at": entry.received_at, "frames": 2048})
            else:
                yield dumps({"k": "note", "at": entry.received_at, "level": "info", "text": entry.text})
            continue
        rec = item_record(entry)
        if rec is not None:
            yield dumps(rec)
    if burst:
        yield dumps({"k": "frames", "at": burst_at, "frames": burst})


def write_recording(path: str | Path, snapshot: Snapshot, entries: Iterable[Entry], *, url: str = "",
                    channels: Iterable[str] = (), closing: Snapshot | None = None) -> int:
    """Write a replayable recording to a new file ``path`` (never an existing one; gzip when it ends in
    ``.gz``): the header, ``snapshot`` (the listings the entries start from), the journal ``entries`` in order,
    and ``closing`` (a listing taken after them, replayed as a resync) if given. Returns the number of lines."""
    written = 0
    with open_new(path) as out:
        for line in _export_lines(snapshot, entries, url, channels, closing):
            out.write(line + "\n")
            written += 1
    return written


def _export_lines(snapshot: Snapshot, entries: Iterable[Entry], url: str, channels: Iterable[str],
                  closing: Snapshot | None) -> Iterator[str]:
    yield dumps(header(source="export", url=url, channels=channels))
    yield snapshot_line(snapshot)
    yield from entry_lines(entries)
    if closing is not None:
        closing.resync, closing.since = closing.resync or "the state at the export", closing.since or closing.at
        yield snapshot_line(closing)


def export_journal(path: str | Path, cluster: Cluster, journal: Journal, *, url: str = "",
                   channels: Iterable[str] = ()) -> int:
    """The TUI's ``e`` export as a replayable recording: the journal's entries between two listings of the
    model as it is now (the journal keeps the last entries, not the state before them: the first listing
    names the hosts and VMs, the closing one, replayed as a resync, leaves the replay where the live model
    is). Call it under the feed's lock (``with monitor.read() as view``); returns the number of lines."""
    entries = list(journal.entries)
    first = listing(cluster, at=entries[0].received_at if entries else None)
    return write_recording(path, first, entries, url=url, channels=channels, closing=listing(cluster))
