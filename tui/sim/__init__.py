"""The embedded Events Hub simulator: a deterministic world of Mac hosts and VMs behind a server that behaves
like the real one (Parallels DevOps Service), built from its own definition of the wire format."""

from .process import SimulatorProcess
from .server import Simulator, serve, start
from .world import World

__all__ = ["Simulator", "SimulatorProcess", "World", "serve", "start"]
