"""The journal (moved to :mod:`tui.model.journal`); kept while the rest of the package moves."""

from .model.journal import *  # noqa: F403
from .model.journal import (  # noqa: F401
    BYTES_BUDGET,
    DEFAULT_SIZE,
    Entry,
    Gap,
    GapKind,
    Journal,
    entry_record,
    open_exclusive,
    write_entries,
)
