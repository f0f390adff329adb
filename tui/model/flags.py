"""What :meth:`~tui.model.cluster.Cluster.apply` says it did."""

NOTHING = 0
CHANGED_HOST = 1
CHANGED_VM = 2
CHANGED_STRUCTURE = 4
DUPLICATE = 8
LATE = 16
