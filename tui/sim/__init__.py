"""The embedded Events Hub simulator: a deterministic world of Mac hosts and VMs behind a real server."""

from .process import SimulatorProcess
from .server import Simulator, serve, start
from .world import World

__all__ = ["Simulator", "SimulatorProcess", "World", "serve", "start"]
