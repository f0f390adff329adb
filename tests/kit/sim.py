"""The simulator in a test: :func:`simulator`, the one way to serve one on 127.0.0.1 in the test's event loop;
:class:`RecordedSimulator`, one that records every request and client frame it sees; and checks of a model
against the simulator's world."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tui.model.cluster import Cluster
from tui.settings import SecretStr, Settings
from tui.sim import Simulator, World, start

#: the world of the app tests and of any test that does not say: six hosts with four VMs each, seed 7
DEFAULT_WORLD = {"seed": 7, "hosts": 6, "vms": 4}


class SimRecorder:
    """Records what a simulator saw: ``requests`` as (method, path, status) for every HTTP request (the WebSocket
    upgrade included, 101 when it upgraded), ``frames`` as (client id, text) for every frame a client sent, in
    the order they happened. :class:`RecordedSimulator` wires one up."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, int]] = []
        self.frames: list[tuple[str, str]] = []

    async def response(self, request: web.Request, response: web.StreamResponse) -> None:
        """For ``app.on_response_prepare``: when the answer's headers go out, so in order, and a WebSocket as soon
        as it upgrades (101)."""
        self.requests.append((request.method, request.path, response.status))

    def client_frame(self, client_id: str, text: str) -> None:
        """For the simulator's ``on_client_frame``."""
        self.frames.append((client_id, text))

    def subscribe_statuses(self) -> list[int]:
        return [status for _, path, status in self.requests if path.endswith("/v1/ws/subscribe")]


class RecordedSimulator(Simulator):
    """A :class:`~tui.sim.Simulator` with a :class:`SimRecorder` as ``rec``."""

    def __init__(self, **options: Any) -> None:
        self.rec = SimRecorder()
        super().__init__(on_client_frame=self.rec.client_frame, **options)
        self.app.on_response_prepare.append(self.rec.response)


@contextlib.asynccontextmanager
async def simulator(*, port: int = 0, recorded: bool = False, **options: Any) -> AsyncIterator[Simulator]:
    """A simulator served on 127.0.0.1:``port`` (0: a free one) in this event loop for the block.

    ``options`` are the :class:`~tui.sim.Simulator`'s (``frozen``, ``reorder``, ``token``, ``rate``, ...), over
    :data:`DEFAULT_WORLD`; ``recorded``: a :class:`RecordedSimulator`. A suite with other defaults binds them with
    ``functools.partial`` (``kit.cli.cli_simulator``, ``kit.simwire.served``), still overridable per test.
    """
    options = {**DEFAULT_WORLD, **options}
    sim = RecordedSimulator(**options) if recorded else Simulator(**options)
    runner, _url = await start("127.0.0.1", port, simulator=sim)
    try:
        yield sim
    finally:
        await runner.cleanup()


def settings_for(sim: Simulator, **overrides: Any) -> Settings:
    """Settings that reach ``sim`` with its token (a 5 s timeout), and ``overrides``."""
    return Settings(**{"url": sim.url, "token": SecretStr(sim.token), "timeout": 5.0, **overrides})


# ------------------------------------------------------------------------------------------------ model and world


def world_view(world: World) -> tuple[dict, dict]:
    hosts = {h["id"]: h["state"] for h in world.hosts_json()}
    vms = {(v["host_id"], v["ID"]): (v["Name"], v["State"]) for v in world.machines_json()}
    return hosts, vms


def model_view(cluster: Cluster) -> tuple[dict, dict]:
    hosts = {h.id: h.health for h in cluster.hosts.values()}
    vms = {(h.id, vm.id): (vm.name, vm.state) for h in cluster.hosts.values() for vm in h.vms.values()}
    return hosts, vms


def assert_model_is(cluster: Cluster, world: World) -> None:
    """The model is the world's truth: the same hosts with the same health, the same VMs with the same names
    and states, nothing stale and nothing made up."""
    assert model_view(cluster) == world_view(world)
    assert not [h for h in cluster.hosts.values() if h.placeholder]


def haunt(sim: Simulator) -> list:
    """A stale copy of every live client under another id: when the connections drop, the server goes on
    believing this IP still has one (the reconnect race), until the test deletes the ghosts."""
    ghosts = [dataclasses.replace(c, id=f"ghost-{c.id}", queue=collections.deque(maxlen=c.queue.maxlen))
              for c in list(sim.clients.values())]
    for ghost in ghosts:
        sim.clients[ghost.id] = ghost
    return ghosts


#: the fault tests' simulator: recorded (``sim.rec``), and frozen so the model can be compared with the world
#: exactly; a small world
quiet_simulator = functools.partial(simulator, recorded=True, frozen=True, hosts=4, vms=3, seed=11)
