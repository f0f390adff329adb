"""Pydantic models of the Events Hub wire protocol.

Everything here is liberal in what it accepts: unknown fields are ignored, VM records come in the
server's capitalised form (``"Name"``, ``"State"``, ``"OS"``) or the docs' lower-case form, ids are
opaque strings, timestamps may carry up to nanoseconds. No Textual imports.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Required, Union

from pydantic import AliasChoices, BeforeValidator, ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

#: Every channel the server knows, in the order a user thinks of them.
CHANNELS: tuple[str, ...] = (
    "global",
    "orchestrator",
    "health",
    "pdfm",
    "system",
    "stats",
    "system_logs",
    "reverse_proxy",
    "catalog_cache",
    "job_manager",
    "auth",
)
DEFAULT_CHANNELS: tuple[str, ...] = ("orchestrator", "health")

VM_STATES: tuple[str, ...] = (
    "running",
    "stopped",
    "suspended",
    "paused",
    "resuming",
    "starting",
    "stopping",
    "suspending",
    "resetting",
    "unknown",
)


# the records live with the rest of the wire format's reading rules (one bad field costs that field only)
from .records import HostRecord, HostResources, Lenient, VMRecord  # noqa: E402, F401

# --------------------------------------------------------------------------- bodies
#
# A known message's body is a plain dict checked against one of the TypedDicts below: pydantic-core builds
# it straight from the JSON text with no Python call and no model object (a body arrives up to 20,000 times
# a second; a dict costs about a third of what a ``BaseModel`` instance does to make, keep and free). Fields
# with a default are filled in when absent, so a reader can index every field: ``body["state"]``.
# ``parse.body_model(channel, message)`` says which of these a body is.

_BODY = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

#: a string field that may be absent ("" then)
Text = Annotated[str, Field(default="")]


def _null_to(factory: Any) -> Any:
    """A before-validator turning a Go nil (JSON null) into an empty value (for the rarer bodies: it is one
    Python call a frame)."""
    return BeforeValidator(lambda v: factory() if v is None else v)


@with_config(_BODY)
class Confirmation(TypedDict):
    client_id: str
    subscriptions: Annotated[list[str], Field(default_factory=list)]


@with_config(_BODY)
class ClientIdBody(TypedDict):
    client_id: Annotated[str, Field(validation_alias=AliasChoices("client-id", "client_id"))]


@with_config(_BODY)
class ErrorBody(TypedDict):
    error: Text


@with_config(_BODY)
class HostStateBody(TypedDict):
    """HOST_HEALTH_UPDATE and HOST_WEBSOCKET_* bodies."""

    host_id: str
    state: Text


@with_config(_BODY)
class HostAddedBody(TypedDict):
    host_id: str
    host: Text
    description: Text


@with_config(_BODY)
class HostRemovedBody(TypedDict):
    host_id: str
    host: Text


@with_config(_BODY)
class HostDeployedBody(TypedDict):
    host_id: str
    host: Text
    message: Text


@with_config(_BODY)
class HostStatsBody(TypedDict):
    """``stats`` is what the server sent: any JSON values, or ``None`` for a Go nil map. Readers take it
    through :func:`drawable_stats`, which the model applies once per frame."""

    host_id: str
    stats: Annotated[dict[str, Any] | None, Field(default_factory=dict)]


#: the largest magnitude anything draws: past it an int has no float (and inf and NaN are not numbers to draw)
DRAWABLE_MAX = 2**1023
_fsum = math.fsum


def _undrawable(x: Any) -> bool:
    kind = type(x)
    if kind is float:
        return not math.isfinite(x)
    if kind is int:
        return not -DRAWABLE_MAX <= x <= DRAWABLE_MAX
    return False


def drawable_stats(stats: dict[str, Any] | None) -> dict[str, Any]:
    """A host's stats without the numbers nothing can draw, ``{}`` for null. JSON allows 1e999 (inf), NaN and
    integers past a float's range, and every reader (log summary, sparklines, details) formats these values
    as floats. Returns ``stats`` itself when nothing is dropped (the usual case: no copy)."""
    if stats is None:
        return {}
    # the usual case, all numbers and all drawable, in one C-level pass: fsum is correctly rounded, so a
    # total of absolute values below 2**1023 means no term is NaN, infinite or of magnitude past 2**1023
    try:
        if _fsum(map(abs, stats.values())) < DRAWABLE_MAX:
            return stats
    except Exception:  # a string, list or null among the values, or an overflow: look at each one
        pass
    for x in stats.values():
        if _undrawable(x):
            return {k: x for k, x in stats.items() if not _undrawable(x)}
    return stats


@with_config(_BODY)
class LogLine(TypedDict):
    level: Text
    message: Text
    time: Text


def _empty_log() -> LogLine:
    return {"level": "", "message": "", "time": ""}


@with_config(_BODY)
class HostLogsBody(TypedDict):
    host_id: str
    log: Annotated[LogLine, _null_to(_empty_log), Field(default_factory=_empty_log)]


@with_config(_BODY)
class HostGenericBody(TypedDict):
    """Catalog cache and reverse proxy host events: only the host matters to the model (the log reads the
    rest from the raw frame). Like every body, it holds its schema's fields only."""

    host_id: str


@with_config(_BODY)
class VMEvent(TypedDict):
    vm_id: Text
    previous_state: Text
    current_state: Text
    new_vm: Annotated[VMRecord | None, Field(default=None)]
    uptime: Text
    snapshots: Annotated[list[Any] | None, Field(default=None)]


@with_config(_BODY)
class HostVMBody(TypedDict):
    """``{"host_id": ..., "event": {...}}`` of every HOST_VM_* message."""

    host_id: str
    event: VMEvent


@with_config(_BODY)
class MacVMsRunning(TypedDict):
    mac_vms_running: Annotated[list[Any], _null_to(list), Field(default_factory=list)]


def _no_mac_vms() -> MacVMsRunning:
    return {"mac_vms_running": []}


@with_config(_BODY)
class HostMacVMsBody(TypedDict):
    host_id: str
    event: Annotated[MacVMsRunning, Field(default_factory=_no_mac_vms)]


#: orchestrator message -> body model
ORCHESTRATOR_BODIES: dict[str, type] = {
    "HOST_HEALTH_UPDATE": HostStateBody,
    "HOST_WEBSOCKET_CONNECTED": HostStateBody,
    "HOST_WEBSOCKET_DISCONNECTED": HostStateBody,
    "HOST_WEBSOCKET_DEGRADED": HostStateBody,
    "HOST_ADDED": HostAddedBody,
    "HOST_REMOVED": HostRemovedBody,
    "HOST_DEPLOYED": HostDeployedBody,
    "HOST_STATS_UPDATE": HostStatsBody,
    "HOST_LOGS_UPDATE": HostLogsBody,
    "HOST_CATALOG_CACHE_EVENT": HostGenericBody,
    "HOST_REVERSE_PROXY_UPDATED": HostGenericBody,
    "HOST_REVERSE_PROXY_EVENT": HostGenericBody,
    "HOST_VM_STATE_CHANGED": HostVMBody,
    "HOST_VM_ADDED": HostVMBody,
    "HOST_VM_REMOVED": HostVMBody,
    "HOST_VM_UPDATED": HostVMBody,
    "HOST_VM_UPTIME_CHANGED": HostVMBody,
    "HOST_VM_SNAPSHOTS_UPDATED": HostVMBody,
    "HOST_MAC_VMS_RUNNING_NOW": HostMacVMsBody,
}

#: pdfm message -> body model (same shapes as HOST_VM_* without host_id)
PDFM_BODIES: dict[str, type] = {
    "VM_STATE_CHANGED": VMEvent,
    "VM_ADDED": VMEvent,
    "VM_UPDATED": VMEvent,
    "VM_REMOVED": VMEvent,
    "VM_UPTIME_CHANGED": VMEvent,
    "VM_SNAPSHOTS_UPDATED": VMEvent,
    "MAC_VMS_RUNNING_NOW": MacVMsRunning,
}

#: pdfm message -> the equivalent orchestrator message, so the model applies both alike
PDFM_TO_ORCHESTRATOR: dict[str, str] = {
    "VM_STATE_CHANGED": "HOST_VM_STATE_CHANGED",
    "VM_ADDED": "HOST_VM_ADDED",
    "VM_UPDATED": "HOST_VM_UPDATED",
    "VM_REMOVED": "HOST_VM_REMOVED",
    "VM_UPTIME_CHANGED": "HOST_VM_UPTIME_CHANGED",
    "VM_SNAPSHOTS_UPDATED": "HOST_VM_SNAPSHOTS_UPDATED",
    "MAC_VMS_RUNNING_NOW": "HOST_MAC_VMS_RUNNING_NOW",
}


class Envelope(Lenient):
    """The Go ``EventMessage``: every frame the server sends."""

    id: str = ""
    ref_id: str | None = None
    event_type: str
    timestamp: str = ""
    message: str
    body: Any = None
    client_id: str | None = None


class ApiError(Lenient):
    code: int | None = None
    message: str = ""


class LoginResponse(Lenient):
    token: str
    email: str = ""
    expires_at: float | None = None


# --------------------------------------------------------------------------- whole frames, one pass

#: (channel, message, body model) of every frame with a typed body and a fixed message; every message
#: is distinct, so the message alone picks the frame type
TYPED_FRAMES: tuple[tuple[str, str, type], ...] = (
    *(("orchestrator", message, model) for message, model in ORCHESTRATOR_BODIES.items()),
    *(("pdfm", message, model) for message, model in PDFM_BODIES.items()),
    ("global", "error", ErrorBody),
    ("system", "client-id", ClientIdBody),
)


def _frame_type(channel: str, message: str, body: type) -> type:
    """The envelope of one (channel, message) with its body model: JSON text -> typed body in one pass."""
    name = "".join(part.capitalize() for part in message.replace("-", "_").split("_")) + "Frame"
    fields = {
        "id": str,
        "ref_id": str | None,
        "event_type": Required[Literal[channel]],  # type: ignore[valid-type]
        "timestamp": str,
        "message": Required[Literal[message]],  # type: ignore[valid-type]
        "body": Required[body],  # type: ignore[valid-type]
        "client_id": str | None,
    }
    return with_config(ConfigDict(extra="ignore"))(TypedDict(name, fields, total=False))  # type: ignore[operator]


def _typed_frames() -> Any:
    messages = [message for _, message, _ in TYPED_FRAMES]
    if len(set(messages)) != len(messages):  # pragma: no cover - a guard for whoever adds a message
        raise RuntimeError("a message name is used on two channels: the frame union cannot tell them apart")
    choices = tuple(_frame_type(*spec) for spec in TYPED_FRAMES)
    return Annotated[Union[choices], Field(discriminator="message")]  # noqa: UP007 - a Union of a tuple


#: A frame as a dict of the envelope fields with ``body`` a typed model (``id``, ``timestamp``, ``ref_id``
#: and ``client_id`` may be absent), or an :class:`Envelope` for every other frame that is an envelope.
#: Validate with ``strict=True``: in JSON mode pydantic-core turns a float into a string its own way
#: (``1.0`` -> ``"1"``, Python says ``"1.0"``), so a number where a string is expected must fail here and
#: take the two-pass path (envelope, then ``model_validate`` of the body), which gives Python's text.
FastFrame = Annotated[Union[_typed_frames(), Envelope], Field(union_mode="left_to_right")]  # noqa: UP007
