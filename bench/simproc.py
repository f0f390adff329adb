"""The embedded simulator (``tui.sim``) in a child process, with shared counters for the parent.

The child serves ``Simulator(hosts, vms, rate, seed)`` on 127.0.0.1 and, every 10 ms, copies into shared
values: the frames sent to the connected client(s) (``sim.sent_counts``), the frames their queues
dropped (the hub keeps at most 2,048 per client), and its own CPU time; and it applies the rate the parent
sets (``SimProcess.set_rate``), so a run can have an idle phase and a loaded phase.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time

from .common import cpu_seconds
from .flood import TOKEN, wait_ready


def random_vm_cost(world) -> float:
    """Seconds per ``World._random_vm`` call on this world (the simulator calls it ~1,000 times a second)."""
    world._random_vm()  # a version that caches builds its list on the first call
    t0 = time.perf_counter()
    for _ in range(20):
        world._random_vm()
    return (time.perf_counter() - t0) / 20


def patch_if_slow(world) -> bool:
    """Patch ``World._random_vm`` (this process only) when it is O(VMs) per call; True when patched."""
    if random_vm_cost(world) > 100e-6:
        patch_random_vm()
        return True
    return False


def patch_random_vm() -> None:
    """Make ``World._random_vm`` O(1) amortised, in this (child) process only.

    Up to commit c9ac358 it built the list of every (host, VM) pair on each call (6f02888 caches it); the world
    calls it about a thousand times a simulated second, so at 1,000 hosts x 20 VMs one 100-ms world tick costs ~1 s of CPU and the
    simulator cannot run in real time (let alone add 20,000 ev/s). This keeps the list for a simulated second
    and falls back to the original when a picked pair went stale meanwhile (VM removed, host gone or
    disconnected), so the world behaves the same; only its random stream differs.
    """
    from tui.sim import world as world_mod

    cls = world_mod.World
    if getattr(cls, "_bench_patched", False):
        return
    original = cls._random_vm

    def _random_vm(self):
        cache = getattr(self, "_bench_pairs", None)
        if cache is None or cache[0] != self._tick // 10:
            pairs = [(h, vm) for h in self._reachable_hosts(include_local=True) for vm in h.vms.values()]
            cache = self._bench_pairs = (self._tick // 10, pairs)
        pairs = cache[1]
        if not pairs:
            return None
        host, vm = self._rng.choice(pairs)
        fresh = (host.vms.get(vm.id) is vm and self._find_host(host.id) is host
                 and (host is self._local or host.link != world_mod.LINK_DISCONNECTED))
        if not fresh:
            self._bench_pairs = None
            return original(self)
        return host, vm

    cls._random_vm = _random_vm
    cls._bench_patched = True


def _child(opts: dict, ready, stop, rate, sent, dropped, cpu, conns) -> None:
    asyncio.run(_serve(opts, ready, stop, rate, sent, dropped, cpu, conns))


async def _serve(opts: dict, ready, stop, rate, sent, dropped, cpu, conns) -> None:
    from tui.sim import Simulator, start

    sim = Simulator(token=TOKEN, hosts=opts["hosts"], vms=opts["vms"], rate=rate.value, seed=opts["seed"])
    patched = opts.get("patch", True) and patch_if_slow(sim.world)
    runner, url = await start("127.0.0.1", 0, simulator=sim)
    ready.put({"url": url, "pid": os.getpid(), "vms": sum(len(h.vms) for h in sim.world._hosts.values()),
               "patched": patched})
    try:
        while not stop.is_set():
            await asyncio.sleep(0.01)
            sim.rate = rate.value
            # the connected client(s) only: a client that has gone (an earlier phase) no longer counts
            live = list(sim.clients.items())
            sent.value = sum(sim.sent_counts.get(cid, 0) for cid, _ in live)
            dropped.value = sum(client.dropped for _, client in live)
            cpu.value = cpu_seconds()
            conns.value = len(sim.connections)
    finally:
        await runner.cleanup()


class SimProcess:
    """``with SimProcess(hosts=1000, vms=20, rate=0) as sim: sim.url, sim.sent.value, sim.set_rate(20000)``"""

    def __init__(self, hosts: int = 1000, vms: int = 20, rate: float = 0.0, seed: int = 7, patch: bool = True) -> None:
        ctx = mp.get_context("spawn")
        self._ready = ctx.Queue()
        self._stop = ctx.Event()
        self.rate = ctx.Value("d", float(rate))
        self.sent = ctx.Value("q", 0, lock=False)
        self.dropped = ctx.Value("q", 0, lock=False)
        self.cpu = ctx.Value("d", 0.0, lock=False)
        self.connections = ctx.Value("q", 0, lock=False)  # WebSocket connections accepted so far
        self.proc = ctx.Process(target=_child, name="bench-simulator", daemon=True,
                                args=({"hosts": hosts, "vms": vms, "seed": seed, "patch": patch}, self._ready, self._stop,
                                      self.rate, self.sent, self.dropped, self.cpu, self.connections))
        self.url = ""
        self.token = TOKEN
        self.info: dict = {}

    def start(self, timeout: float = 120.0) -> SimProcess:
        self.proc.start()
        self.info = wait_ready(self._ready, self.proc, timeout)
        self.url = self.info["url"]
        return self

    def set_rate(self, rate: float) -> None:
        self.rate.value = float(rate)

    def stop(self) -> None:
        self._stop.set()
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
