"""Snapshot tests of the jobs view, a host's service log and the VM table (pytest-textual-snapshot), at 80x24 and
160x50, and the job dialog.

The app is the seeded one of the main screen's snapshots (a seeded world, the clock frozen, no socket), with
jobs and service log lines of fixed times fed to it the same way. Regenerate after a deliberate UI change with
``pytest tests/app/test_view_snapshots.py --snapshot-update``, and look at the SVGs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kit.app import FROZEN_AT, seeded_app, wait_for

from tui.app.app import HubtopApp
from tui.app.screens.hostlogs import HostLogsScreen
from tui.app.screens.jobs import JobsScreen
from tui.app.screens.vm_table import VmTableScreen
from tui.protocol.items import Status
from tui.protocol.parse import parse_frame
from tui.sim.frames import encode_frame

_n = iter(range(0x9000, 0x10000))


def _at(minutes_ago: float) -> str:
    return datetime.fromtimestamp(FROZEN_AT - minutes_ago * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed(app: HubtopApp, channel: str, message: str, body: dict, at: float) -> None:
    raw = encode_frame(f"{next(_n):064x}", channel, message, body, timestamp=_at((FROZEN_AT - at) / 60))
    app.monitor.feed.handle(parse_frame(raw, received_at=at))


def _step(name: str, state: str, pct: float, error: str = "") -> dict:
    return {"name": name, "display_name": name.replace("_", " ").capitalize(), "state": state,
            "current_percentage": pct, "error": error}


JOBS = [  # (minutes ago, message, job); one on a host, wrapped
    (95, "JOB_COMPLETED", {"id": "0b5e1d2a-catalog", "state": "completed", "progress": 100, "job_type": "catalog",
                           "job_operation": "pull", "owner_name": "Administrator", "message": "done",
                           "steps": [_step("validate", "completed", 100), _step("download", "completed", 100)]}),
    (40, "JOB_UPDATED", {"id": "7c1f9e44-clone", "state": "failed", "progress": 35, "job_type": "virtual_machine",
                         "job_operation": "clone", "owner_name": "alice", "message": "clone disk failed",
                         "error": "clone disk failed: no space left on device",
                         "steps": [_step("lock_source", "completed", 100),
                                   _step("clone_disk", "failed", 35, "no space left on device"),
                                   _step("register", "pending", 0)]}),
    (6, "JOB_UPDATED", {"id": "e2d4a8b0-push", "state": "running", "progress": 60, "job_type": "catalog_push",
                        "job_operation": "push", "owner_name": "Administrator", "message": "Upload",
                        "steps": [_step("pack", "completed", 100), _step("upload", "running", 60)]}),
    (1, "JOB_CREATED", {"id": "91aa03c7-create", "state": "pending", "progress": 0, "job_type": "vm_create",
                        "job_operation": "create", "owner_name": "bruno", "message": "queued"}),
]

LOG = [
    ("info", "[API] GET /api/v1/machines 200 (12 ms)"),
    ("debug", "[PDFM] poll: 4 VMs"),
    ("warning", "[Disk] /Users/Shared/Parallels 91% full"),
    ("info", "[PDFM] ci-runner-ubuntu-02 is running"),
    ("error", "[Disk] cannot write the cache: disk full"),
    ("info", "[Catalog] pull ubuntu-24.04 done"),
]


def views_app(hosts: int = 6) -> tuple[HubtopApp, str]:
    """The seeded app with job_manager on, four jobs, and a service log for its first host (returned)."""
    app = seeded_app(hosts=hosts)
    feed = app.monitor.feed
    feed.handle(Status("connected", "connected", client_id="3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                       subscriptions=("orchestrator", "health", "global", "job_manager", "system_logs")))
    host_id = sorted(feed.cluster.hosts.values(), key=lambda h: (h.label, h.id))[0].id
    for minutes, message, job in JOBS:
        at = _at(minutes)
        job = {**job, "created_at": at, "updated_at": at}
        body = {"host_id": host_id, "event": job} if job["id"].endswith("clone") else job
        _feed(app, "job_manager", message, body, FROZEN_AT - minutes * 60)
    for i, (level, message) in enumerate(LOG * 4):
        at = FROZEN_AT - 600 + i * 20
        _feed(app, "orchestrator", "HOST_LOGS_UPDATE",
              {"host_id": host_id, "log": {"level": level, "message": message, "time": _at((FROZEN_AT - at) / 60)}}, at)
    return app, host_id


def _push(screen_factory):
    async def run_before(pilot) -> None:
        # the main screen first (the app keeps its panes at hand once it is mounted), then the view over it
        await wait_for(pilot, lambda: getattr(pilot.app, "filter_box", None) is not None, what="the main screen")
        await pilot.app.push_screen(screen_factory(pilot.app))
        await pilot.pause()

    return run_before


def test_jobs_80x24(snap_compare) -> None:
    app, _ = views_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_push(lambda a: JobsScreen()))


def test_jobs_160x50(snap_compare) -> None:
    app, _ = views_app()
    assert snap_compare(app, terminal_size=(160, 50), run_before=_push(lambda a: JobsScreen()))


def test_job_dialog(snap_compare) -> None:
    app, _ = views_app()
    assert snap_compare(app, terminal_size=(100, 32), press=["down", "down", "enter"],
                        run_before=_push(lambda a: JobsScreen()))


def test_host_log_80x24(snap_compare) -> None:
    app, host_id = views_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_push(lambda a: HostLogsScreen(host_id)))


def test_host_log_searched_160x50(snap_compare) -> None:
    app, host_id = views_app()
    assert snap_compare(app, terminal_size=(160, 50), press=["l", "slash", *"disk", "enter"],
                        run_before=_push(lambda a: HostLogsScreen(host_id)))


def test_vm_table_80x24(snap_compare) -> None:
    app, _ = views_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_push(lambda a: VmTableScreen()))


def test_vm_table_by_state_160x50(snap_compare) -> None:
    app, _ = views_app(hosts=10)
    assert snap_compare(app, terminal_size=(160, 50), press=["s", "s", "S"], run_before=_push(lambda a: VmTableScreen()))
