"""A small fleet made to tell orders and filters apart, served by a scripted hub (:class:`~kit.hub.HubServer`) on
127.0.0.1, and what the app's tests of finding, sorting, copying and alerting read off the screen: the host rows in
order, the toasts, the status bar, the footer's keys.

The fleet (every name chosen so that each sort order and filter gives a different answer):

=============  =========  ======  ====================================================  =====
host           health     arch    VMs (state)                                           tags
=============  =========  ======  ====================================================  =====
``host-1``     healthy    arm64   web-1 (running), db-1 (stopped)                        ci
``host-2``     unhealthy  arm64   build-2 (running)
``host-10``    healthy    arm64   zeta, apex (running), mid (suspended), alpha (stopped)
``mac-studio`` healthy    x86_64  win11 (stopped), boot-9 (starting)
=============  =========  ======  ====================================================  =====
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.geometry import Region
from textual.widgets._toast import Toast

from kit.app import static_text, wait_for
from kit.client import connected
from kit.hub import TOKEN, HubServer
from kit.wire import frame, host_record, vm_record
from tui.app.app import HubtopApp
from tui.settings import SecretStr, Settings

H1, H2, H10, STUDIO = (f"{n:064x}" for n in (0xA1, 0xA2, 0xA10, 0x5D))
NAMES = {H1: "host-1", H2: "host-2", H10: "host-10", STUDIO: "mac-studio"}
#: VM id -> (host id, name, state)
VMS = {
    "vm-web-1": (H1, "web-1", "running"),
    "vm-db-1": (H1, "db-1", "stopped"),
    "vm-build-2": (H2, "build-2", "running"),
    "vm-zeta": (H10, "zeta", "running"),
    "vm-apex": (H10, "apex", "running"),
    "vm-mid": (H10, "mid", "suspended"),
    "vm-alpha": (H10, "alpha", "stopped"),
    "vm-win11": (STUDIO, "win11", "stopped"),
    "vm-boot-9": (STUDIO, "boot-9", "starting"),
}


def stock(hub: HubServer) -> None:
    """Give ``hub`` the fleet's listings."""
    hub.hosts = [
        host_record(H1, "host-1", tags=["ci"]),
        host_record(H2, "host-2", state="unhealthy"),
        host_record(H10, "host-10"),
        host_record(STUDIO, "mac-studio", description="render farm", architecture="x86_64"),
    ]
    hub.machines = [vm_record(vid, hid, name, state, os="ubuntu" if hid == STUDIO else "macosx")
                    for vid, (hid, name, state) in VMS.items()]


@contextlib.asynccontextmanager
async def fleet_app(size: tuple[int, int] = (160, 50), hub: HubServer | None = None,
                    settings: dict[str, Any] | None = None, **options: Any) -> AsyncIterator[tuple[Any, HubtopApp, Any]]:
    """The app (``options``: its constructor's) against a hub serving the fleet, connected with its tree built:
    ``(hub, app, pilot)``. ``hub``: one already running (a second app on the same hub)."""
    async with contextlib.AsyncExitStack() as stack:
        if hub is None:
            hub = await stack.enter_async_context(HubServer())
            stock(hub)
        values = {"url": hub.url, "token": SecretStr(TOKEN), "timeout": 5.0, **(settings or {})}
        app = HubtopApp(Settings(**values), **options)
        pilot = await stack.enter_async_context(app.run_test(size=size, notifications=True))
        await wait_for(pilot, lambda: connected(app.monitor.feed) and host_order(app) and app.log_view.row_count(),
                       what="the fleet in the tree")
        yield hub, app, pilot


async def send(hub: HubServer, channel: str, message: str, body: Any = None) -> None:
    """One frame from the hub to the app's live connection."""
    live = [c for c in hub.conns if not c.closed.is_set()]
    assert live, "no live connection to send on"
    await live[-1].send(frame(channel, message, body))


def health(host_id: str, state: str) -> tuple[str, str, dict]:
    return "orchestrator", "HOST_HEALTH_UPDATE", {"host_id": host_id, "state": state}


def vm_state(vm_id: str, state: str) -> tuple[str, str, dict]:
    host_id, _name, before = VMS[vm_id]
    return "orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": host_id, "event": {
        "vm_id": vm_id, "previous_state": before, "current_state": state}}


def stats(host_id: str, cpu: float = 12.5) -> tuple[str, str, dict]:
    return "orchestrator", "HOST_STATS_UPDATE", {"host_id": host_id, "stats": {
        "cpu_percent": cpu, "memory_bytes": 123456789, "goroutines": 42}}


# ------------------------------------------------------------------ what the screen shows


def host_order(app: HubtopApp) -> list[str]:
    """The host rows' names, top to bottom."""
    return [NAMES.get(hid, hid) for kind, hid, _ in app.host_tree.rows if kind == "h"]


def vm_order(app: HubtopApp, host_id: str) -> list[str]:
    """The names of ``host_id``'s VM rows, top to bottom."""
    return [VMS[vid][1] for kind, hid, vid in app.host_tree.rows if kind == "v" and hid == host_id]


def tree_lines(app: HubtopApp) -> list[str]:
    """Every row of the tree as drawn (scrolled into view one screen at a time)."""
    tree = app.host_tree
    width = tree.scrollable_content_region.width
    return ["".join(s.text for s in tree.render_row(i, width, False)).rstrip() for i in range(len(tree.rows))]


def bar(app: HubtopApp) -> str:
    """The status bar as the terminal shows it (its rows, cut at the screen's width)."""
    return static_text(app.status_bar, width=app.size.width)


def toasts(app: HubtopApp) -> list[str]:
    """The toasts on screen, each as its title and message."""
    return [toast.render().plain for toast in app.screen.query(Toast)]


def footer_keys(app: HubtopApp) -> dict[str, str]:
    """The keys the footer offers now (key -> description)."""
    return {key: active.binding.description for key, active in app.screen.active_bindings.items()
            if active.binding.show}


async def run_command(pilot, name: str, typed: str = "") -> list[str]:
    """Open the palette (ctrl+p), type ``typed`` (``name`` unless given), wait until ``name`` is the highlighted
    command and run it (Enter). Returns the commands the palette listed for the text."""
    app = pilot.app
    await pilot.press("ctrl+p")
    listed = await choose(pilot, name, typed)
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), what="the palette closed")
    return listed


async def choose(pilot, name: str, typed: str = "") -> list[str]:
    """In the open palette: type ``typed`` (``name`` unless given), wait until ``name`` is highlighted, Enter.
    Returns the commands the palette listed for the text."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    palette = app.screen
    await pilot.press(*(typed or name))

    def offered() -> list[str] | None:
        commands = palette.query_one(CommandList)
        chosen = commands.highlighted_option
        return [option.hit.text for option in commands.options] if chosen and chosen.hit.text == name else None

    listed = await wait_for(pilot, offered, what=f"{name!r} in the palette")
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen is not palette, what="the palette's answer")
    return listed


def title(widget) -> str:
    """A widget's border title as the terminal shows it: the words on its top border."""
    line = "".join(s.text for s in widget.render_lines(Region(0, 0, widget.outer_size.width, 1))[0])
    return line[1:-1].strip("─").strip()
