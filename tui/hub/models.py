"""Pydantic models of the Events Hub wire protocol.

Everything here is liberal in what it accepts: unknown fields are ignored, VM records come in the
server's capitalised form (``"Name"``, ``"State"``, ``"OS"``) or the docs' lower-case form, ids are
opaque strings, timestamps may carry up to nanoseconds. No Textual imports.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Required, Union

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, with_config
from pydantic_core import core_schema
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


class Lenient(BaseModel):
    """Base for every wire model: ignore unknown fields, accept numbers where strings are expected."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


# --------------------------------------------------------------------------- records


class HostResources(Lenient):
    logical_cpu_count: float | None = None
    memory_size: float | None = None
    disk_size: float | None = None
    free_disk_size: float | None = None
    total_apple_vms: float | None = None
    mac_vms_running: float | None = None


class HostRecord(Lenient):
    """One entry of ``GET /api/v1/orchestrator/hosts``."""

    id: str
    host: str = ""
    description: str = ""
    enabled: bool | None = None
    architecture: str = ""
    cpu_model: str = ""
    os_name: str = ""
    os_version: str = ""
    external_ip_address: str = ""
    devops_version: str = ""
    parallels_desktop_version: str = ""
    parallels_desktop_licensed: bool | None = None
    has_websocket_events: bool | None = None
    tags: list[str] = Field(default_factory=list)
    state: str = ""
    resources: HostResources | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        return [] if v is None else v


class VMRecord(Lenient):
    """A VM as the server sends it (capitalised keys) or as the docs show it (lower-case keys)."""

    id: str = Field("", validation_alias=AliasChoices("ID", "id", "vm_id", "Id"))
    name: str = Field("", validation_alias=AliasChoices("Name", "name"))
    state: str = Field("", validation_alias=AliasChoices("State", "state"))
    # not "Type": in Parallels' record that is the kind of machine ("VM" / "CT"), not the guest OS
    os: str = Field("", validation_alias=AliasChoices("OS", "os", "os_type"))
    uptime: str = Field("", validation_alias=AliasChoices("Uptime", "uptime"))
    description: str = Field("", validation_alias=AliasChoices("Description", "description"))
    host_id: str = ""
    host_name: str = ""

    @field_validator("id", "name", "state", "os", "uptime", "description", "host_id", "host_name", mode="before")
    @classmethod
    def _none_to_empty(cls, v: Any) -> Any:
        return "" if v is None else v


# --------------------------------------------------------------------------- bodies


class Confirmation(Lenient):
    client_id: str
    subscriptions: list[str] = Field(default_factory=list)


class ClientIdBody(Lenient):
    client_id: str = Field(validation_alias=AliasChoices("client-id", "client_id"))


class ErrorBody(Lenient):
    error: str = ""


class HostStateBody(Lenient):
    """HOST_HEALTH_UPDATE and HOST_WEBSOCKET_* bodies."""

    host_id: str
    state: str = ""


class HostAddedBody(Lenient):
    host_id: str
    host: str = ""
    description: str = ""


class HostRemovedBody(Lenient):
    host_id: str
    host: str = ""


class HostDeployedBody(Lenient):
    host_id: str
    host: str = ""
    message: str = ""


_BIGGEST = 2**1023


def _undrawable(x: Any) -> bool:
    kind = type(x)
    if kind is float:
        return not math.isfinite(x)
    if kind is int:
        return not -_BIGGEST <= x <= _BIGGEST
    return False


def _none_to(factory: Any) -> Any:
    """A before-validator turning a Go nil (JSON null) into an empty value."""

    def check(cls: Any, v: Any) -> Any:
        return factory() if v is None else v

    return classmethod(check)


class _NullAccepted:
    """``Annotated`` marker: the field also accepts ``None`` (JSON null), for an after-validator to replace.

    Unlike a before-validator this costs no Python call when the value is not null, and errors about a
    value of the wrong type read exactly as without it (no extra location segment, unlike ``X | None``)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.nullable_schema(handler(source))


_fsum = math.fsum


class HostStatsBody(Lenient):
    host_id: str
    # a Go nil map (JSON null) is accepted here and made {} by _drawable_numbers: one Python call a frame
    stats: Annotated[dict[str, Any], _NullAccepted] = Field(default_factory=dict)

    @field_validator("stats", mode="after")
    @classmethod
    def _drawable_numbers(cls, v: dict[str, Any] | None) -> dict[str, Any]:
        """Drop numbers nothing can draw: JSON allows 1e999 (inf), NaN and integers past a float's range, and
        every reader (log summary, sparklines, details) formats these values as floats. Turn null into {}."""
        if v is None:
            return {}
        # the usual case, all numbers and all drawable, in one C-level pass: fsum is correctly rounded, so a
        # total of absolute values below 2**1023 means no term is NaN, infinite or of magnitude past 2**1023
        try:
            if _fsum(map(abs, v.values())) < _BIGGEST:
                return v
        except Exception:  # a string, list or null among the values, or an overflow: look at each one
            pass
        for x in v.values():  # a stats frame a second per host: check without copying when all is well
            if _undrawable(x):
                return {k: x for k, x in v.items() if not _undrawable(x)}
        return v


class LogLine(Lenient):
    level: str = ""
    message: str = ""
    time: str = ""


class HostLogsBody(Lenient):
    host_id: str
    log: LogLine = Field(default_factory=LogLine)

    _log = field_validator("log", mode="before")(_none_to(dict))


class HostGenericBody(Lenient):
    """Catalog cache and reverse proxy host events: only the host matters to the model."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)
    host_id: str


class VMEvent(Lenient):
    vm_id: str = ""
    previous_state: str = ""
    current_state: str = ""
    new_vm: VMRecord | None = None
    uptime: str = ""
    snapshots: list[Any] | None = None


class HostVMBody(Lenient):
    """``{"host_id": ..., "event": {...}}`` of every HOST_VM_* message."""

    host_id: str
    event: VMEvent


class MacVMsRunning(Lenient):
    mac_vms_running: list[Any] = Field(default_factory=list)

    _running = field_validator("mac_vms_running", mode="before")(_none_to(list))


class HostMacVMsBody(Lenient):
    host_id: str
    event: MacVMsRunning = Field(default_factory=MacVMsRunning)


#: orchestrator message -> body model
ORCHESTRATOR_BODIES: dict[str, type[Lenient]] = {
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
PDFM_BODIES: dict[str, type[Lenient]] = {
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
TYPED_FRAMES: tuple[tuple[str, str, type[Lenient]], ...] = (
    *(("orchestrator", message, model) for message, model in ORCHESTRATOR_BODIES.items()),
    *(("pdfm", message, model) for message, model in PDFM_BODIES.items()),
    ("global", "error", ErrorBody),
    ("system", "client-id", ClientIdBody),
)


def _frame_type(channel: str, message: str, body: type[Lenient]) -> type:
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
