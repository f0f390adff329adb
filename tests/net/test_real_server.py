"""What the real server does that a mirror of the client never did, over real sockets: records as the Go structs
define them, events out of order, lost frames, an evicted confirmation, links from the listing, the words for a
connection that ends without a close frame. (``status --wait`` that loses the hub is in tests/cli/test_status.py.)"""

from __future__ import annotations

import asyncio

from kit.client import connected, fast_settings, feeding
from kit.hub import Conn, HubServer
from kit.wait import wait_until
from kit.wire import HOST_A, HOST_B, frame, go_timestamp, host_record, vm_record

from tui.model.journal import Gap, GapKind
from tui.protocol.parse import Event


def state_change(vm_id: str, before: str, after: str, at: float) -> str:
    return frame("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": HOST_A, "event": {
        "vm_id": vm_id, "previous_state": before, "current_state": after}}, timestamp=go_timestamp(at))


async def test_a_mac_running_a_macos_vm_keeps_its_record():
    """resources.mac_vms_running is a list of VM ids in the real OrchestratorHostResponse."""
    async with HubServer() as hub:
        record = host_record(HOST_A, "mac-mini-01.local", description="CI")
        record["resources"]["mac_vms_running"] = ["vm-mac-1"]
        hub.hosts = [record, host_record(HOST_B, "mac-studio.local", has_websocket_events=False)]
        hub.machines = [vm_record("vm-mac-1", HOST_A, "sequoia-ci", "running", "macosx")]
        async with feeding(fast_settings(hub.url), collect=False) as (_client, feed, _):
            await wait_until(lambda: connected(feed), what="connected")
            a, b = feed.cluster.hosts[HOST_A], feed.cluster.hosts[HOST_B]
            assert (a.label, a.health, a.mac_vms_running, a.problems) == ("mac-mini-01.local", "healthy",
                                                                           ["vm-mac-1"], ())
            assert (a.link, b.link) == ("connected", "disconnected")  # the live link, from the listing


async def test_reversed_steps_end_on_the_newest_state_marked_late():
    base = 1_800_000_000.0
    async with HubServer() as hub:
        hub.hosts = [host_record(HOST_A, "a.local")]
        hub.machines = [vm_record("v1", HOST_A, "one", "stopped")]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.2)
            await conn.send(state_change("v1", "starting", "running", base + 0.2))  # built second, sent first
            await conn.send(state_change("v1", "stopped", "starting", base + 0.1))

        hub.script = script
        async with feeding(fast_settings(hub.url), collect=False) as (_client, feed, _):
            await wait_until(lambda: feed.journal.late == 1, what="the late event")
            vm = feed.cluster.vm(HOST_A, "v1")
            assert (vm.state, vm.unsure) == ("running", False)
            late = [e for e in feed.journal if isinstance(e, Event) and e.late]
            assert [e.body is None and e.message for e in late] == ["HOST_VM_STATE_CHANGED"]
            await asyncio.sleep(2.6)  # past the settle time: the explained gap asks for nothing
            assert feed.resyncs == 0


async def test_a_contradiction_nothing_explains_is_settled_by_a_resync():
    async with HubServer() as hub:
        hub.hosts = [host_record(HOST_A, "a.local")]
        hub.machines = [vm_record("v1", HOST_A, "one", "stopped")]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.2)
            hub.machines = [vm_record("v1", HOST_A, "one", "suspended")]  # what really happened meanwhile
            await conn.send(state_change("v1", "running", "pausing", 1_800_000_000.0))

        hub.script = script
        async with feeding(fast_settings(hub.url), collect=False) as (_client, feed, _):
            feed.cluster.settle_s = 0.2
            await wait_until(lambda: feed.resyncs == 1, timeout=8, what="the resync")
            vm = feed.cluster.vm(HOST_A, "v1")
            assert (vm.state, vm.unsure) == ("suspended", False)
            [resync] = [g for g in feed.journal if isinstance(g, Gap) and g.kind is GapKind.RESYNC]
            assert "does not follow" in resync.reason


async def test_an_event_for_an_unknown_host_is_fetched_not_invented():
    async with HubServer() as hub:
        hub.hosts = [host_record(HOST_A, "a.local")]

        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.2)
            hub.hosts = [host_record(HOST_A, "a.local"), host_record(HOST_B, "new.local", state="unhealthy")]
            await conn.send(frame("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_B, "stats": {}}))

        hub.script = script
        async with feeding(fast_settings(hub.url), collect=False) as (_client, feed, _):
            await wait_until(lambda: connected(feed), what="connected")
            await wait_until(lambda: HOST_B in feed.cluster.hosts, timeout=8, what="the host, from the listing")
            assert feed.cluster.hosts[HOST_B].label == "new.local" and feed.cluster.hosts[HOST_B].health == "unhealthy"


async def test_an_evicted_confirmation_and_answer_the_id_is_still_learned_and_unsubscribing_waits():
    async with HubServer() as hub:
        hub.confirm = False  # evicted: the first frame is some event
        hub.lose_client_id_answers = 1
        hub.hosts = [host_record(HOST_A, "a.local")]

        async def script(conn: Conn) -> None:
            await conn.send(frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}))

        hub.script = script
        async with feeding(fast_settings(hub.url), collect=False) as (client, feed, _):
            await wait_until(lambda: connected(feed), what="connected")
            assert client.client_id is None and client.unconfirmed
            assert feed.status.subscriptions == ("orchestrator", "health", "global") and feed.status.unconfirmed
            await client.set_channels(("orchestrator",))  # health off: waits for the id
            assert not hub.unsubscribes
            assert any("waits for the client id" in n.text for n in feed.notes)
            await wait_until(lambda: client.client_id is not None, timeout=6, what="the id, asked again")
            assert len([m for m in hub.conns[0].received if "client-id" in m]) == 2
            await wait_until(lambda: hub.unsubscribes, what="the unsubscribe, once the id came")
            assert hub.unsubscribes[0] == {"client_id": client.client_id, "event_types": ["health"]}


async def test_no_close_frame_is_worded_as_what_is_known():
    async with HubServer() as hub:
        async def script(conn: Conn) -> None:
            await asyncio.sleep(0.2)
            conn.abort()

        hub.script = script
        async with feeding(fast_settings(hub.url), collect=False) as (_client, feed, _):
            await wait_until(lambda: connected(feed, 2), what="the reconnect")
            [gap] = [g for g in feed.journal if isinstance(g, Gap)]
            assert "without a close frame (a server restart or a network drop)" in gap.text
            assert "lost" not in gap.text
