"""The bodies of the channels beside ``orchestrator`` and ``pdfm``, as the real server sends them (the protocol
reference's "Channels not in the vendor's pages"): jobs, auth, the catalog cache, the reverse proxy, the
service's own stats and logs. Plain dicts checked against TypedDict schemas, read a field at a time like every
body (a field that cannot be read is left out, not the event). No I/O.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

_BODY = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
Text = Annotated[str, Field(default="")]
Number = Annotated[float | None, Field(default=None)]
Flag = Annotated[bool | None, Field(default=None)]

#: job states, and the ones a person should be told about
JOB_STATES = ("init", "pending", "running", "completed", "failed", "skipped")


@with_config(_BODY)
class Job(TypedDict, total=False):
    id: Text
    owner: Text
    owner_name: Text
    owner_email: Text
    state: Text
    message: Text
    progress: Number
    job_type: Text
    job_operation: Text
    is_orchestrator_job: Flag
    steps: Annotated[list[Any], Field(default_factory=list)]
    result: Any
    result_record_id: Text
    result_record_name: Text
    result_record_type: Text
    error: Text
    created_at: Text
    updated_at: Text


@with_config(_BODY)
class JobBody(Job, total=False):
    """A job, or a job forwarded from a host: ``{"host_id", "event": <job>}``."""

    host_id: Text
    event: Annotated[Job | None, Field(default=None)]


@with_config(_BODY)
class AuthBody(TypedDict, total=False):
    user_id: Text
    role_id: Text
    claim_id: Text


@with_config(_BODY)
class CacheItemBody(TypedDict, total=False):
    catalog_id: Text
    version: Text
    architecture: Text
    cache_size: Number
    cache_type: Text
    cached_date: Text


@with_config(_BODY)
class ProxyBody(TypedDict, total=False):
    enabled: Flag
    state: Text
    reverse_proxy_host_id: Text
    old_ip: Text
    new_ip: Text
    error_message: Text
    target_vm_id: Text
    target_host: Text
    target_port: Text
    path: Text
    traffic_type: Text
    method: Text
    source_ip: Text
    internal_ip_address: Text


@with_config(_BODY)
class DiskSpaceBody(TypedDict, total=False):
    cache_folder_size: Number
    parallels_home_size: Number
    given_path_size: Number
    prl_home_path: Text


@with_config(_BODY)
class SystemLogBody(TypedDict, total=False):
    level: Text
    message: Text
    time: Text


JOB_MESSAGES = ("JOB_CREATED", "JOB_UPDATED", "JOB_COMPLETED", "JOB_DELETED")
AUTH_MESSAGES = tuple(f"{what}_{how}" for what in ("USER", "ROLE", "CLAIM", "ROLE_CLAIM", "USER_ROLE", "USER_CLAIM")
                      for how in ("ADDED", "UPDATED", "REMOVED"))
PROXY_MESSAGES = ("REVERSE_PROXY_STATE_CHANGED", "REVERSE_PROXY_HOST_STATE_CHANGED", "Reverse Proxy Route Updated",
                  "Reverse Proxy Route Failed", "HTTP Traffic Forwarded", "TCP Traffic Forwarded")

#: (channel, message) -> body schema
OTHER_BODIES: dict[tuple[str, str], type] = {
    **{("job_manager", m): JobBody for m in JOB_MESSAGES},
    **{("auth", m): AuthBody for m in AUTH_MESSAGES},
    ("catalog_cache", "CACHE_ITEM_ADDED"): CacheItemBody,
    ("catalog_cache", "CACHE_ITEM_REMOVED"): CacheItemBody,
    **{("reverse_proxy", m): ProxyBody for m in PROXY_MESSAGES},
    ("stats", "DISK_SPACE_CHANGED"): DiskSpaceBody,
    ("system_logs", "System Log"): SystemLogBody,
}


def job_of(body: dict[str, Any]) -> dict[str, Any]:
    """The job in a job body (a host's job arrives wrapped in ``event``)."""
    inner = body.get("event")
    return inner if isinstance(inner, dict) else body
