"""The embedded Events Hub simulator: a deterministic world of Mac hosts and VMs behind a real server."""

from .server import Simulator, serve, start
from .thread import SimulatorThread
from .world import World

__all__ = ["Simulator", "SimulatorThread", "World", "serve", "start"]
