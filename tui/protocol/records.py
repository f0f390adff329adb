"""Host and VM records as the real server defines them, read so that a bad field costs that field only.

The shapes follow the Go structs of the Parallels DevOps Service (``OrchestratorHostResponse`` and
``HostResourceItem`` in ``src/models/orchestrator_host.go``, the Parallels VM object for machines; see the
protocol reference): unknown fields are ignored, optional ones may be absent. A record from a server is data
hubtop does not control, so :func:`read_record` never lets one oddly typed field (``architecture: null``,
``memory_size: "16384 MiB"``, ``tags: ["ci", null]``) cost the whole record: the field is dropped, the rest
kept, and the problem reported as a path (``resources.memory_size``) so that it can be noted once.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator


class Lenient(BaseModel):
    """Base for every wire model: ignore unknown fields, accept numbers where strings are expected."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


def _none_to_empty(v: Any) -> Any:
    return "" if v is None else v


class HostResources(Lenient):
    """Go ``HostResourceItem``: counts and sizes in MiB. ``mac_vms_running`` is a list of VM ids."""

    total_apple_vms: float | None = None
    physical_cpu_count: float | None = None
    logical_cpu_count: float | None = None
    memory_size: float | None = None
    disk_size: float | None = None
    free_disk_size: float | None = None
    mac_vms_running: list[str] | None = None
    prl_home_size: float | None = None
    prl_home_free_size: float | None = None


class DetailedResources(Lenient):
    """The host's resources by kind (each a ``HostResourceItem``), and how many Apple VMs it has."""

    total_apple_vms: float | None = None
    total: HostResources | None = None
    total_available: HostResources | None = None
    total_in_use: HostResources | None = None
    total_reserved: HostResources | None = None
    system_reserved: HostResources | None = None


class ReverseProxy(Lenient):
    enabled: bool | None = None
    host: str = ""
    port: str = ""
    hosts: list[Any] = Field(default_factory=list)


class CacheItem(Lenient):
    catalog_id: str = ""
    version: str = ""
    architecture: str = ""
    cache_size: float | None = None
    cache_type: str = ""
    cached_date: str = ""


class HostRecord(Lenient):
    """One entry of ``GET /api/v1/orchestrator/hosts`` (Go ``OrchestratorHostResponse``)."""

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
    #: the orchestrator's live event link to this host right now (the first value of what HOST_WEBSOCKET_*
    #: events change)
    has_websocket_events: bool | None = None
    is_local: bool | None = None
    is_reverse_proxy_enabled: bool | None = None
    is_log_streaming_enabled: bool | None = None
    enabled_modules: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    state: str = ""
    resources: HostResources | None = None
    detailed_resources: DetailedResources | None = None
    reverse_proxy: ReverseProxy | None = None
    reverse_proxy_hosts: list[Any] = Field(default_factory=list)
    cache_config: dict[str, Any] = Field(default_factory=dict)
    cache_items: list[CacheItem] = Field(default_factory=list)
    required_claims: list[str] = Field(default_factory=list)
    required_roles: list[str] = Field(default_factory=list)

    @field_validator("tags", "enabled_modules", "required_claims", "required_roles", "reverse_proxy_hosts",
                     "cache_items", mode="before")
    @classmethod
    def _null_list(cls, v: Any) -> Any:  # a Go nil slice
        return [] if v is None else v

    @field_validator("cache_config", mode="before")
    @classmethod
    def _null_map(cls, v: Any) -> Any:  # a Go nil map
        return {} if v is None else v

    @field_validator("host", "description", "architecture", "cpu_model", "os_name", "os_version",
                     "external_ip_address", "devops_version", "parallels_desktop_version", "state", mode="before")
    @classmethod
    def _null_text(cls, v: Any) -> Any:
        return _none_to_empty(v)


class VMRecord(Lenient):
    """A VM as the server sends it (the Parallels object: capitalised keys) or as the docs show it (lower-case
    keys), plus the orchestrator's ``host_id`` / ``host_name`` / ``host_state`` / ``internal_ip_address``."""

    id: str = Field("", validation_alias=AliasChoices("ID", "id", "vm_id", "Id"))
    name: str = Field("", validation_alias=AliasChoices("Name", "name"))
    state: str = Field("", validation_alias=AliasChoices("State", "state"))
    # not "Type": in Parallels' record that is the kind of machine ("VM" / "CT"), not the guest OS
    os: str = Field("", validation_alias=AliasChoices("OS", "os", "os_type"))
    uptime: str = Field("", validation_alias=AliasChoices("Uptime", "uptime"))
    description: str = Field("", validation_alias=AliasChoices("Description", "description"))
    host_id: str = ""
    host_name: str = ""
    host_state: str = ""
    internal_ip_address: str = ""

    @field_validator("id", "name", "state", "os", "uptime", "description", "host_id", "host_name", "host_state",
                     "internal_ip_address", mode="before")
    @classmethod
    def _none_to_empty(cls, v: Any) -> Any:
        return _none_to_empty(v)


@dataclass(slots=True)
class Listings:
    """Both REST listings, with what could not be read in them."""

    hosts: list[HostRecord]
    vms: list[VMRecord]
    #: (record id or "?", field) of every field dropped to read a record
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: host records that could not be read at all (no usable id)
    unreadable: int = 0


# --------------------------------------------------------------------------- reading, a field at a time

#: how many passes of dropping bad fields before a record is given up
_PASSES = 4


@functools.cache
def _adapter(kind: type) -> TypeAdapter:
    return TypeAdapter(kind)


def _path(loc: tuple, value: Any) -> tuple[list[Any], str]:
    """The part of ``loc`` that exists in ``value`` (pydantic adds union member names), and a person's name
    for it with list positions left out (``tags[]``, ``resources.memory_size``)."""
    steps: list[Any] = []
    node = value
    for step in loc:
        if isinstance(node, dict) and isinstance(step, str) and step in node or isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            break
        steps.append(step)
    name = "".join(f".{s}" if isinstance(s, str) else "[]" for s in steps).lstrip(".")
    return steps, name or "record"


def _drop(value: Any, paths: list[list[Any]]) -> None:
    """Remove every path from ``value`` (a copy): dict keys go, list items go (highest index first)."""
    by_parent: dict[int, tuple[Any, set]] = {}
    for steps in paths:
        if not steps:
            continue
        parent = value
        for step in steps[:-1]:
            parent = parent[step]
        by_parent.setdefault(id(parent), (parent, set()))[1].add(steps[-1])
    for parent, keys in by_parent.values():
        if isinstance(parent, dict):
            for key in keys:
                parent.pop(key, None)
        else:
            for index in sorted(keys, reverse=True):
                del parent[index]


def read_record(kind: type[BaseModel], value: Any) -> tuple[BaseModel | None, list[str]]:
    """``value`` as a ``kind`` record, and the names of the fields that had to be dropped to read it. ``None``
    when not even what the record needs (a host's ``id``) could be read, or ``value`` is not an object."""
    if not isinstance(value, dict):
        return None, [f"a record that is a {type(value).__name__}, not an object"]
    return read_lenient(_adapter(kind).validate_python, value)


def read_lenient(validate: Any, value: dict) -> tuple[Any, list[str]]:
    """``validate(value)``, dropping the fields it refuses (a pass at a time) until it accepts what is left:
    the result (``None`` when a required field is what is wrong) and the names of the fields dropped."""
    try:
        return validate(value), []
    except ValidationError as err:
        errors = err.errors(include_url=False)
    except RecursionError:
        return None, ["nested too deep"]
    work = copy.deepcopy(value)
    problems: list[str] = []
    for _ in range(_PASSES):
        paths = []
        for error in errors:
            steps, name = _path(tuple(error["loc"]), work)
            if not steps:  # the record itself is wrong (a required field missing): nothing to drop
                return None, [*problems, f"{'.'.join(map(str, error['loc'])) or 'record'}: {error['msg']}"]
            paths.append(steps)
            if name not in problems:
                problems.append(name)
        _drop(work, paths)
        try:
            return validate(work), problems
        except ValidationError as err:
            errors = err.errors(include_url=False)
    return None, problems


def read_records(kind: type[BaseModel], values: Any) -> tuple[list[Any], list[tuple[str, str]], int]:
    """A listing (``GET .../hosts`` or ``.../machines``) read a record at a time where it must be: the records,
    the ``(record id or "?", field)`` problems met, and how many records could not be read at all. The whole
    list is validated at once first (20,000 records: one pass in pydantic-core)."""
    if values is None:
        return [], [], 0
    if not isinstance(values, list):
        raise TypeError("not a list")
    try:
        return _adapter(list[kind]).validate_python(values), [], 0  # type: ignore[valid-type]
    except (ValidationError, RecursionError):
        pass
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    unreadable = 0
    for value in values:
        record, fields = read_record(kind, value)
        key = _record_id(value)
        problems.extend((key, name) for name in fields)
        if record is None:
            unreadable += 1
        else:
            out.append(record)
    return out, problems, unreadable


def _record_id(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("id", "ID", "Id", "vm_id"):
            if isinstance(value.get(key), str) and value[key]:
                return value[key]
    return "?"
