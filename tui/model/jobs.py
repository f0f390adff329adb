"""The jobs the server runs (``job_manager``: catalog pulls, VM clones, ...), kept from their events for a jobs
view: state, progress, kind, owner, age, message or error, steps, and the frame as sent.

A job is known only from its events (there is no listing to fetch), so the store keeps what they said, ordered
by the job's own ``updated_at`` (the frame's timestamp when it has none), per job: an update older than what a
job already shows is late and never rolls it back, and a deleted job does not come back from a late update.
A job a host runs arrives wrapped (``{"host_id", "event": <job>}``) and is kept under that host, so two hosts'
jobs never mix even if their ids collide. Failures are counted as they happen (the server has no
``JOB_FAILED``: a failure is an update whose state says so), which is what a notification rule reads.

Bounded: at most :data:`MAX_JOBS` jobs (finished ones go first), each keeping its frame's text up to
:data:`RAW_LIMIT`. Display strings are made safe for a terminal here, once per update.
"""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..protocol.bodies import job_of
from ..protocol.parse import parse_timestamp
from ..protocol.text import clean, json_safe
from .flags import LATE, NOTHING
from .order import order_key

if TYPE_CHECKING:
    from ..protocol.parse import Event

__all__ = ["FINISHED", "MAX_JOBS", "Job", "JobStep", "JobStore"]

MAX_JOBS = 500
#: the most bytes of a job's frame kept for its JSON view (larger: its fields are shown instead)
RAW_LIMIT = 64 * 1024
MAX_STEPS = 200
MAX_TOMBSTONES = 2000
#: how far back an eviction looks for a finished job to drop before dropping the oldest
EVICT_SCAN = 64
FINISHED = frozenset(("completed", "failed", "skipped"))

JobKey = tuple[str, str]  # (host id or "", job id)


@dataclass(frozen=True, slots=True)
class JobStep:
    name: str
    state: str
    percent: float | None = None
    message: str = ""
    error: str = ""

    @property
    def line(self) -> str:
        pct = f" {self.percent:.0f}%" if self.percent is not None else ""
        said = f": {self.error}" if self.error else f": {self.message}" if self.message else ""
        return f"{self.name} {self.state or '?'}{pct}{said}"


@dataclass(slots=True)
class Job:
    id: str
    host_id: str
    state: str = ""
    progress: float | None = None
    job_type: str = ""
    job_operation: str = ""
    owner: str = ""
    message: str = ""
    error: str = ""
    created_at: str = ""
    updated_at: str = ""
    steps: tuple[JobStep, ...] = ()
    #: the frame of the latest update, as sent ("" when it was larger than RAW_LIMIT)
    raw: str = ""
    #: the job's fields, for its JSON view when the frame was too large to keep
    fields: dict[str, Any] | None = None
    #: the message of the latest event (JOB_CREATED, JOB_UPDATED, ...)
    last_event: str = ""
    #: hubtop's clock: when the first and the latest event about it arrived
    first_seen: float = 0.0
    last_seen: float = 0.0
    #: the order key of the latest update applied
    ts: str = ""
    #: when it became failed (a count of the store's failures), 0 if it is not
    failed_no: int = 0

    @property
    def key(self) -> JobKey:
        return (self.host_id, self.id)

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def kind(self) -> str:
        """``catalog pull``: the type and operation."""
        return " ".join(x for x in (self.job_type, self.job_operation) if x) or "job"

    @property
    def said(self) -> str:
        """The error of a failed job, else its message."""
        return self.error if self.failed and self.error else self.message

    def created(self) -> float | None:
        """When the job was created (the server's clock), as a Unix time; ``None`` if it did not say."""
        moment = parse_timestamp(self.created_at)
        return moment.timestamp() if moment is not None else None

    def age(self, now: float) -> float:
        """Seconds since it was created (since hubtop first heard of it when the server did not say)."""
        start = self.created()
        return max(0.0, now - (start if start is not None else self.first_seen))

    def frame(self) -> Any:
        """The latest frame about the job as the server sent it (its fields when the frame was too large)."""
        if self.raw:
            try:
                return json.loads(self.raw)
            except ValueError:  # pragma: no cover - an event's raw is JSON
                pass
        return self.fields or {}

    def json_text(self, limit: int = 256 * 1024) -> str:
        """:meth:`frame` as indented JSON, safe for a terminal (line breaks are JSON's own)."""
        text = json.dumps(self.frame(), indent=2, ensure_ascii=False, default=str)
        if len(text) > limit:
            text = text[:limit] + f"\n… (+{len(text) - limit:,} characters)"
        return json_safe(text)


def _text(value: Any, limit: int = 200) -> str:
    return clean(value, limit) if value not in (None, "") else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if -1e18 < value < 1e18 else None


def _steps(values: Any) -> tuple[JobStep, ...]:
    if not isinstance(values, list):
        return ()
    out = []
    for step in values[:MAX_STEPS]:
        if not isinstance(step, dict):
            continue
        out.append(JobStep(
            name=_text(step.get("display_name") or step.get("name") or "step", 80),
            state=_text(step.get("state"), 40),
            percent=_number(step.get("current_percentage")),
            message=_text(step.get("message")),
            error=_text(step.get("error")),
        ))
    return tuple(out)


class JobStore:
    """Jobs by (host id, job id), least recently updated first."""

    def __init__(self, max_jobs: int = MAX_JOBS) -> None:
        self.max_jobs = max(1, max_jobs)
        self.jobs: OrderedDict[JobKey, Job] = OrderedDict()
        self.tombstones: OrderedDict[JobKey, str] = OrderedDict()
        #: bumped by every change (a view skips work when it has not moved)
        self.version = 0
        #: failures seen so far; the latest few, as (failure number, key)
        self.failures = 0
        self.recent_failures: deque[tuple[int, JobKey]] = deque(maxlen=100)
        self.evicted = 0

    def __len__(self) -> int:
        return len(self.jobs)

    def get(self, key: JobKey) -> Job | None:
        return self.jobs.get(key)

    def listing(self) -> list[Job]:
        """Every job, the most recently updated first."""
        return list(reversed(self.jobs.values()))

    @property
    def failed(self) -> int:
        return sum(1 for job in self.jobs.values() if job.failed)

    @property
    def running(self) -> int:
        return sum(1 for job in self.jobs.values() if not job.finished)

    def failed_after(self, number: int) -> list[Job]:
        """The jobs that failed after failure ``number`` (still held and still failed), oldest first."""
        out = []
        for no, key in self.recent_failures:
            job = self.jobs.get(key)
            if no > number and job is not None and job.failed_no == no:
                out.append(job)
        return out

    def apply(self, event: Event) -> int:
        """Apply one ``job_manager`` event. Returns ``LATE`` for an update older than what the job shows
        (nothing changed), else ``NOTHING`` (the store's :attr:`version` says whether it changed)."""
        body = event.typed_body()
        if not isinstance(body, dict):
            return NOTHING
        job_body = job_of(body)
        job_id = job_body.get("id") or ""
        if not isinstance(job_id, str) or not job_id:
            return NOTHING
        host_id = body.get("host_id") if isinstance(body.get("host_id"), str) else ""
        key = (host_id or "", job_id)
        ts = order_key(job_body.get("updated_at") or "") or order_key(event.timestamp)
        job = self.jobs.get(key)
        if job is None:
            if self.tombstones.get(key, "") > ts or (key in self.tombstones and not ts):
                return LATE
        elif ts < job.ts:
            return LATE
        if event.message == "JOB_DELETED":
            if job is not None:
                del self.jobs[key]
                self.version += 1
            self.tombstones[key] = ts
            self.tombstones.move_to_end(key)
            if len(self.tombstones) > MAX_TOMBSTONES:
                self.tombstones.popitem(last=False)
            return NOTHING
        if job is None:
            job = self.jobs[key] = Job(job_id, key[0], first_seen=event.received_at)
            self.tombstones.pop(key, None)
        else:
            self.jobs.move_to_end(key)
        was_failed = job.failed
        self._fill(job, job_body, event, ts)
        if job.failed and not was_failed:
            self.failures += 1
            job.failed_no = self.failures
            self.recent_failures.append((self.failures, key))
        elif not job.failed:
            job.failed_no = 0
        self.version += 1
        if len(self.jobs) > self.max_jobs:
            self._evict()
        return NOTHING

    @staticmethod
    def _fill(job: Job, body: dict[str, Any], event: Event, ts: str) -> None:
        job.state = _text(body.get("state"), 40)
        job.progress = _number(body.get("progress"))
        job.job_type = _text(body.get("job_type"), 60)
        job.job_operation = _text(body.get("job_operation"), 60)
        job.owner = _text(body.get("owner_name") or body.get("owner_email") or body.get("owner"), 80)
        job.message = _text(body.get("message"), 500)
        job.error = _text(body.get("error"), 500)
        job.created_at = _text(body.get("created_at"), 64) or job.created_at
        job.updated_at = _text(body.get("updated_at"), 64)
        job.steps = _steps(body.get("steps"))
        job.last_event = _text(event.message, 40)
        job.last_seen = event.received_at
        job.ts = ts
        if len(event.raw) <= RAW_LIMIT:
            job.raw, job.fields = event.raw, None
        else:
            job.raw = ""
            job.fields = {k: v for k, v in body.items() if k != "steps"}
            job.fields["steps"] = f"{len(job.steps)} steps (the frame was too large to keep: {len(event.raw):,} bytes)"

    def _evict(self) -> None:
        """Drop one job: the least recently updated finished one among the oldest, else the oldest."""
        victim = next((k for k, j in islice(self.jobs.items(), EVICT_SCAN) if j.finished), None)
        if victim is None:
            victim = next(iter(self.jobs))
        del self.jobs[victim]
        self.evicted += 1
