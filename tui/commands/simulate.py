"""``hubtop simulate`` and ``hubtop demo``: the embedded simulator, alone or with the TUI against it."""

from __future__ import annotations

import argparse
import asyncio
import errno
import functools
import os

from ..protocol.errors import HubError
from .common import quiet_stdout, tell


def simulate(args: argparse.Namespace) -> int:
    from ..sim import serve

    try:
        # the banner is flushed at once: with stdout on a pipe or a file (`| tee`, `> sim.log`) it would
        # otherwise sit in the buffer while the simulator runs, and nobody would learn its URL and token
        asyncio.run(serve(host=args.host, port=args.port, token=args.token, hosts=args.hosts, vms=args.vms,
                          rate=args.rate, seed=args.seed, one_connection_per_ip=args.one_connection_per_ip,
                          api_key=args.sim_api_key, reorder=args.reorder, frozen=args.frozen,
                          print=functools.partial(print, flush=True)))
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `hubtop simulate | head -2`: the banner's reader went away
        quiet_stdout()
        return 0
    except OSError as err:
        # asyncio words a failed bind as "error while attempting to bind on address (...): ...": say it once
        reason = os.strerror(err.errno) if isinstance(err.errno, int) and err.errno > 0 else (err.strerror or err)
        hint = "; --port 0 picks a free one" if err.errno == errno.EADDRINUSE else ""
        tell(f"cannot listen on {args.host}:{args.port}: {reason}{hint}")
        return 2
    return 0


def demo(args: argparse.Namespace) -> int:
    """Start the simulator in a child process on a free loopback port, then the TUI against it."""
    from ..settings import SecretStr, Settings, parse_channels
    from ..sim import SimulatorProcess

    try:
        channels = parse_channels(args.channels)
    except HubError as err:
        tell(str(err))
        return 2
    sim = SimulatorProcess(hosts=args.hosts, vms=args.vms, rate=args.rate, seed=args.seed)
    try:
        url, token = sim.start()
    except OSError as err:
        tell(f"cannot start the simulator: {err}")
        return 2
    try:
        settings = Settings(url=url, token=SecretStr(token), channels=channels, ascii=bool(args.ascii),
                            utc=bool(args.utc), refresh_hz=args.refresh or 10.0, export_dir=args.export_dir or ".")
        from .app import tui

        return tui(settings)
    finally:
        sim.stop()
