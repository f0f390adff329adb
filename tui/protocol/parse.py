"""Turn one WebSocket frame into an :class:`Event` or a :class:`Malformed` entry. Never raises."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .bodies import OTHER_BODIES
from .models import (
    CHANNELS,
    ORCHESTRATOR_BODIES,
    PDFM_BODIES,
    ClientIdBody,
    Confirmation,
    Envelope,
    ErrorBody,
    FastFrame,
)
from .records import read_lenient

#: how much of a bad frame is kept for the journal and the log
RAW_EXCERPT = 512


@dataclass(slots=True)
class Event:
    """A well-formed frame. ``body`` is a dict checked against its message's schema (:func:`body_model`)
    for known messages, the raw JSON value otherwise."""

    id: str
    event_type: str
    message: str
    timestamp: str
    body: Any
    raw: str
    ref_id: str | None = None
    client_id: str | None = None
    received_at: float = field(default_factory=time.time)
    #: the host and VM a known message is about (``None`` for a generic body), read when the frame is parsed
    host_id: str | None = None
    vm_id: str | None = None
    #: ``True`` when the channel or message is not one hubtop knows (kept as a generic event)
    generic: bool = False
    #: position in the journal (set when journaled)
    seq: int = 0
    #: ``True`` when the cluster model saw this id recently and did not apply it again
    duplicate: bool = False
    #: ``True`` when it arrived after a newer event about the same thing (by timestamp): kept, not applied
    late: bool = False
    #: fields of a known body that could not be read and were left out (``event.current_state``)
    problems: tuple[str, ...] = ()
    #: ``True`` once :meth:`release` dropped the body (the journal's events)
    released: bool = False

    def release(self) -> None:
        """Drop the body once it has been applied: a journal of 10,000 events then holds one object per
        event instead of three or four (the body, its nested dicts), less memory and far less for the
        garbage collector to walk at 20,000 events a second. :meth:`typed_body` reads the body back."""
        self.released = True
        self.body = None

    def typed_body(self) -> Any:
        """``body``, parsed again from ``raw`` if it was released (the same frame gives the same body)."""
        if not self.released:
            return self.body
        again = parse_frame(self.raw, self.received_at)
        return again.body if again.__class__ is Event else None

    def as_json(self) -> dict[str, Any]:
        """The frame as the server sent it (re-read from the raw text)."""
        try:
            value = json.loads(self.raw)
        except ValueError:  # pragma: no cover - raw of an Event is always JSON
            value = {"raw": self.raw}
        return value


def ids_of(body: dict[str, Any]) -> dict[str, str | None]:
    """``host_id`` and ``vm_id`` of a known message's body (a dict checked against its schema: ``host_id``
    is a string where present, ``event`` a dict); :func:`parse_frame` does the same inline."""
    inner = body.get("event")
    vm_id = inner.get("vm_id") if inner is not None else body.get("vm_id")
    return {"host_id": body.get("host_id") or None, "vm_id": vm_id or None}


@dataclass(slots=True)
class Malformed:
    """A frame that could not be understood; keeps a truncated copy of what arrived."""

    reason: str
    excerpt: str
    size: int
    received_at: float = field(default_factory=time.time)
    seq: int = 0


@dataclass(slots=True)
class Note:
    """Something a person should know that is not a frame: a refused oversize frame, a 409, a channel change."""

    text: str
    level: str = "warning"
    seq: int = 0
    received_at: float = field(default_factory=time.time)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(value: str) -> datetime | None:
    """RFC 3339 with any number of fractional digits (Go sends up to nanoseconds) -> aware datetime."""
    if not value:
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def excerpt(data: str | bytes, limit: int = RAW_EXCERPT) -> str:
    """A printable, truncated copy of a frame for notes and the journal."""
    if isinstance(data, bytes | bytearray | memoryview):
        text = bytes(data[:limit]).decode("utf-8", "replace")
    else:
        text = data[:limit]
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    if len(data) > limit:
        text += f"... ({len(data)} bytes)"
    return text


def _first_error(err: ValidationError) -> str:
    try:
        first = err.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"]) or "frame"
        return f"{loc}: {first['msg']}"
    except Exception:  # pragma: no cover - defensive
        return "invalid frame"


def body_model(event_type: str, message: str) -> type | None:
    """The schema (a TypedDict of :mod:`.models`) of a known message's body; ``None`` for any other."""
    if event_type == "orchestrator":
        return ORCHESTRATOR_BODIES.get(message)
    if event_type == "pdfm":
        return PDFM_BODIES.get(message)
    if event_type == "global":
        if message == "error":
            return ErrorBody
        if message.startswith("WebSocket connection established"):
            return Confirmation
    if event_type == "system" and message == "client-id":
        return ClientIdBody
    return OTHER_BODIES.get((event_type, message))


_KNOWN_CHANNELS = frozenset(CHANNELS)

_envelope_validate_json = Envelope.model_validate_json


def _envelope_error(err: ValidationError, data: str) -> str:
    """Why a frame is not an envelope, in the words a person reading the log needs."""
    try:
        first = err.errors(include_url=False)[0]
    except Exception:  # pragma: no cover - defensive
        return "invalid frame"
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "not JSON" if not data.strip() else f"not JSON ({first.get('ctx', {}).get('error', 'invalid')})"
    if kind == "model_type":
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            return "not a JSON object"
        return f"JSON {type(value).__name__}, not an object"
    if kind == "recursion_loop":
        return "nesting too deep"
    return _first_error(err)


_validate_frame = TypeAdapter(FastFrame).validator.validate_json


@functools.cache
def _body_validator(model: type) -> Callable[[Any], Any]:
    """A body schema's validator for the two-pass path (Python mode, lax: a number where a string is
    expected becomes Python's text). Built on first use: start-up does not pay for it."""
    return TypeAdapter(model).validator.validate_python


def parse_frame(data: str | bytes, received_at: float | None = None) -> Event | Malformed:
    """Parse one frame. Non-JSON, binary, non-object JSON and missing or wrongly typed fields give a
    :class:`Malformed`; unknown channels and messages give a generic :class:`Event`.

    Same result as :func:`parse_frame_slow`, faster: a frame arrives up to 20,000 times a second. A known
    message is validated from the JSON text straight to its typed body in one pydantic-core pass; any
    other envelope comes out of that same pass as an :class:`Envelope` and goes on as in the slow path.
    Anything that pass refuses (not JSON, not an envelope, a number where a string is expected) is parsed
    again by the slow path, which gives the exact :class:`Malformed` or coerced :class:`Event`."""
    now = time.time() if received_at is None else received_at
    if isinstance(data, str):
        try:
            frame = _validate_frame(data, strict=True)
        except Exception:  # ValidationError, RecursionError, ...: the slow path says why, or copes
            return parse_frame_slow(data, now)
        if type(frame) is dict:
            get = frame.get
            body = frame["body"]
            inner = body.get("event")  # ids_of, inline: this runs for every frame
            return Event(
                get("id", ""),
                frame["event_type"],
                frame["message"],
                get("timestamp", ""),
                body,
                data,
                get("ref_id"),
                get("client_id"),
                now,
                body.get("host_id"),
                (inner.get("vm_id") if inner is not None else body.get("vm_id")) or None,
            )
        return _from_envelope(frame, data, now)
    return parse_frame_slow(data, now)


_HUB_CHANNELS = frozenset(("orchestrator", "pdfm"))


def known_event(data: str | bytes) -> bool:
    """``True`` when ``data`` is a well-formed frame of a known hub event (an orchestrator or pdfm message):
    exactly the frames :func:`parse_frame` turns into an :class:`Event` in its one pydantic-core pass,
    decided by that same pass without building the event. ``False`` decides nothing: ask :func:`parse_frame`.
    For a reader that needs to know a frame is an event, not what is in it (``hubtop tail``)."""
    if data.__class__ is not str:
        return False
    try:
        frame = _validate_frame(data, strict=True)
    except Exception:
        return False
    return frame.__class__ is dict and frame["event_type"] in _HUB_CHANNELS


def parse_frame_slow(data: str | bytes, received_at: float | None = None) -> Event | Malformed:
    """:func:`parse_frame` in two passes: the envelope (body as plain JSON values), then the body's model."""
    now = time.time() if received_at is None else received_at
    if isinstance(data, bytes | bytearray | memoryview):
        return Malformed("binary frame", excerpt(data), len(data), now)
    try:
        # JSON parsing and envelope validation in one pass in pydantic-core: about twice as fast as
        # json.loads followed by validation
        env = _envelope_validate_json(data)
    except ValidationError as exc:
        return Malformed(_envelope_error(exc, data), excerpt(data), len(data), now)
    except (ValueError, RecursionError, UnicodeError):  # lone surrogates and the like
        return Malformed("not JSON (not valid text)", excerpt(data), len(data), now)
    return _from_envelope(env, data, now)


def _from_envelope(env: Envelope, data: str, now: float) -> Event | Malformed:
    """The event of a valid envelope: the body validated by its model if the message is known."""
    channel = env.event_type.lower()
    body: Any = env.body
    model = body_model(channel, env.message)
    generic = channel not in _KNOWN_CHANNELS
    if model is not None:
        if not isinstance(body, dict):
            return Malformed(
                f"{env.message}: body is {type(body).__name__}, not an object", excerpt(data), len(data), now
            )
        # a field the schema refuses costs that field, not the event: it is left out (and named), unless it is
        # one the event cannot be without (its host_id)
        body, problems = read_lenient(_body_validator(model), body)
        if body is None:
            return Malformed(f"{env.message}: {problems[-1] if problems else 'invalid body'}", excerpt(data),
                             len(data), now)
    elif channel in ("orchestrator", "pdfm"):
        generic = True
    ids = ids_of(body) if model is not None else _generic_ids(channel, body)
    return Event(
        id=env.id,
        event_type=channel,
        message=env.message,
        timestamp=env.timestamp,
        body=body,
        raw=data,
        ref_id=env.ref_id,
        client_id=env.client_id,
        received_at=now,
        generic=generic,
        problems=tuple(problems) if model is not None else (),
        **ids,
    )


def _generic_ids(channel: str, body: Any) -> dict[str, str | None]:
    """An unknown orchestrator message about a host (``host_id``) still belongs to that host's history."""
    if channel == "orchestrator" and isinstance(body, dict):
        host_id = body.get("host_id")
        if isinstance(host_id, str) and host_id:
            return {"host_id": host_id, "vm_id": None}
    return {}
