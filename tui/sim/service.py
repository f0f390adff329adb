"""The orchestrator's own affairs, on its own channels: ``stats``, ``system_logs``, ``job_manager``,
``catalog_cache``, ``reverse_proxy`` and ``auth``, with the bodies the server's Go structs give them.
A part of :class:`~tui.sim.world.World`, which it is mixed into."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import (
    AUTH_EVENT,
    CACHE_ITEM,
    CLAIM_NAMES,
    DISK_SPACE,
    JOB_KINDS,
    JOB_START,
    LOG_LEVELS,
    PROXY_EVENT,
    PROXY_PATHS,
    PROXY_ROUTES,
    ROLE_NAMES,
    SYSTEM_LOG,
    SYSTEM_LOG_LINES,
)

if TYPE_CHECKING:
    from .world import World as _Base
else:
    _Base = object

OWNER = ("b6a4f1e0-3c1d-4e8a-9f2b-7d5c6a4b3e21", "Administrator", "admin@example.com")


class ServiceActivity(_Base):
    def _init_service(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._proxy_hosts: dict[str, str] = {f"rp-{n + 1:02d}": "started" for n in range(len(PROXY_ROUTES))}
        self._users: list[str] = [self._uuid() for _ in range(3)]

    def _service_activity(self) -> None:
        self._repeat(SYSTEM_LOG, self._system_log)
        self._repeat(DISK_SPACE, self._disk_space)
        self._repeat(JOB_START, self._start_job)
        self._repeat(CACHE_ITEM, self._cache_item)
        self._repeat(PROXY_EVENT, self._proxy_event)
        self._repeat(AUTH_EVENT, self._auth_event)

    def _system_log(self) -> None:
        rng = self._rng
        hosts = list(self._hosts.values())
        message = rng.choice(SYSTEM_LOG_LINES).format(
            hosts=len(hosts), ms=rng.randint(3, 400), host=rng.choice(hosts).hostname if hosts else "none",
            items=len(self._local.cache_items), jobs=len(self._jobs),
        )
        level = self._weighted(LOG_LEVELS)
        self._emit("system_logs", "System Log", {"level": level, "message": message, "time": self._time()})

    def _disk_space(self) -> None:
        local = self._local
        local.free_disk_mb = min(local.disk_mb, max(10_000, local.free_disk_mb + self._rng.randint(-4_000, 3_000)))
        self._emit("stats", "DISK_SPACE_CHANGED", self._disk_body(local))

    # ------------------------------------------------------------------ jobs

    def _start_job(self) -> None:
        rng = self._rng
        job_type = rng.choice(list(JOB_KINDS))
        operation, steps = JOB_KINDS[job_type]
        now = self._time()
        hosts = self._reachable_hosts()
        job: dict[str, Any] = {
            "id": self._uuid(), "owner": OWNER[0], "owner_name": OWNER[1], "owner_email": OWNER[2],
            "state": "pending", "message": "queued", "progress": 0, "job_type": job_type, "job_operation": operation,
            "steps": [self._job_step(name) for name in steps], "created_at": now, "updated_at": now,
        }
        # some jobs run on a host, which tells the orchestrator: forwarded wrapped with the host's id
        host_id = rng.choice(hosts).id if hosts and rng.random() < 0.3 else ""
        job["_host"] = host_id
        self._jobs[job["id"]] = job
        self._job_event("JOB_CREATED", job)
        self._after(rng.uniform(1, 3), self._advance_job, job["id"])

    @staticmethod
    def _job_step(name: str) -> dict[str, Any]:
        """Go ``JobStepResponse``."""
        return {"name": name, "display_name": name.replace("_", " ").capitalize(), "weight": 1.0, "parallel": False,
                "has_percentage": True, "state": "pending", "current_percentage": 0.0, "value": 0, "total": 100,
                "eta": "", "message": "", "error": "", "filename": "", "unit": "%"}

    def _job_event(self, message: str, job: dict[str, Any]) -> None:
        body = {key: (list(map(dict, value)) if key == "steps" else value) for key, value in job.items()
                if not key.startswith("_")}
        if job["_host"]:
            self._emit("job_manager", message, {"host_id": job["_host"], "event": body})
        else:
            self._emit("job_manager", message, body)

    def _advance_job(self, job_id: str) -> None:
        job = self._jobs[job_id]
        rng = self._rng
        steps = job["steps"]
        job["progress"] = min(100, job["progress"] + rng.randint(10, 35))
        job["updated_at"] = self._time()
        done = job["progress"] * len(steps) // 100
        for index, step in enumerate(steps):
            step["state"] = "completed" if index < done else "running" if index == done else "pending"
            step["current_percentage"] = 100.0 if index < done else float(job["progress"]) if index == done else 0.0
            step["value"] = int(step["current_percentage"])
        failed = job["progress"] < 100 and rng.random() < 0.03
        if failed:  # the server has no JOB_FAILED: a failure is an update whose state says so
            name = steps[min(done, len(steps) - 1)]["name"]
            steps[min(done, len(steps) - 1)].update(state="failed", error="timeout")
            job.update(state="failed", message=f"{name} failed", error=f"{name} failed: timeout")
            self._job_event("JOB_UPDATED", job)
        elif job["progress"] >= 100:
            job.update(state="completed", message="done", result="ok")
            self._job_event("JOB_COMPLETED", job)
        else:
            job.update(state="running", message=steps[done]["display_name"])
            self._job_event("JOB_UPDATED", job)
        if job["state"] == "running":
            self._after(rng.uniform(1, 3), self._advance_job, job_id)
        else:
            self._after(rng.uniform(20, 120), self._delete_job, job_id)

    def _delete_job(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            job["updated_at"] = self._time()
            self._job_event("JOB_DELETED", job)

    # ------------------------------------------------------------------ catalog cache, reverse proxy, auth

    def _cache_item(self) -> None:
        cache = self._local.cache_items
        if len(cache) >= 6 or (cache and self._rng.random() < 0.3):
            item = cache.pop(self._rng.randrange(len(cache)))
            self._emit("catalog_cache", "CACHE_ITEM_REMOVED",
                       {key: item[key] for key in ("catalog_id", "version", "architecture")})
            return
        item = self._cache_entry()
        cache.append(item)
        self._emit("catalog_cache", "CACHE_ITEM_ADDED", dict(item))

    def _proxy_event(self) -> None:
        rng = self._rng
        proxy_id = rng.choice(list(self._proxy_hosts))
        roll = rng.random()
        if roll < 0.15:
            state = "stopped" if self._proxy_hosts[proxy_id] == "started" else "started"
            self._proxy_hosts[proxy_id] = state
            self._emit("reverse_proxy", "REVERSE_PROXY_HOST_STATE_CHANGED",
                       {"reverse_proxy_host_id": proxy_id, "state": state})
            return
        if roll < 0.2:
            self._emit("reverse_proxy", "REVERSE_PROXY_STATE_CHANGED", {"enabled": True, "state": "started"})
            return
        picked = self._random_vm()
        vm = picked[1] if picked else None
        target = {"reverse_proxy_host_id": proxy_id, "target_vm_id": vm.id if vm else "",
                  "internal_ip_address": vm.ip if vm else ""}
        target = {key: value for key, value in target.items() if value}
        if roll < 0.3:
            self._emit("reverse_proxy", "Reverse Proxy Route Updated" if vm and vm.state == "running"
                       else "Reverse Proxy Route Failed", target)
            return
        tcp = roll > 0.9
        traffic = {**target, "target_port": "22" if tcp else "8080", "traffic_type": "tcp" if tcp else "http",
                   "source_ip": f"10.20.0.{rng.randint(2, 250)}"}
        if not tcp:
            traffic.update(path=rng.choice(PROXY_PATHS), method=rng.choice(("GET", "GET", "POST")))
        self._emit("reverse_proxy", "TCP Traffic Forwarded" if tcp else "HTTP Traffic Forwarded", traffic)

    def _auth_event(self) -> None:
        """Users, roles and claims being managed: ``USER_*`` most often, every other kind now and then."""
        rng = self._rng
        user = rng.choice(self._users)
        role = f"role-{rng.randrange(len(ROLE_NAMES)) + 1}"
        claim = f"claim-{rng.randrange(len(CLAIM_NAMES)) + 1}"
        kind = rng.choice(("USER", "USER", "USER", "ROLE", "CLAIM", "ROLE_CLAIM", "USER_ROLE", "USER_CLAIM"))
        if kind == "USER":
            verb = rng.choice(("ADDED", "UPDATED", "REMOVED") if len(self._users) > 2 else ("ADDED", "UPDATED"))
            if verb == "ADDED":
                user = self._uuid()
                self._users.append(user)
            elif verb == "REMOVED":
                self._users.remove(user)
            self._emit("auth", f"USER_{verb}", {"user_id": user})
            return
        ids = {"ROLE": {"role_id": role}, "CLAIM": {"claim_id": claim},
               "ROLE_CLAIM": {"role_id": role, "claim_id": claim}, "USER_ROLE": {"user_id": user, "role_id": role},
               "USER_CLAIM": {"user_id": user, "claim_id": claim}}[kind]
        self._emit("auth", f"{kind}_{rng.choice(('ADDED', 'REMOVED'))}", ids)
