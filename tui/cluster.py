"""The cluster model (moved to :mod:`tui.model`); kept while the rest of the package moves."""

from .model.cluster import *  # noqa: F403
from .model.cluster import DEDUP_WINDOW, MAX_HOSTS, MAX_TOMBSTONES, MAX_UNKNOWN, MAX_VMS, SETTLE_S, Cluster  # noqa: F401
from .model.entities import *  # noqa: F403
from .model.entities import (  # noqa: F401
    HOST_LOG_LINES,
    LOCAL_HOST_ID,
    STATS_HISTORY,
    VM_EVENTS,
    Changes,
    Health,
    Host,
    Link,
    hostname_of,
    short_id,
)
from .model.events import (  # noqa: F401
    _ORCHESTRATOR,
    _PDFM,
    CHANGED_HOST,
    CHANGED_STRUCTURE,
    CHANGED_VM,
    DUPLICATE,
    LATE,
    NOTHING,
)
