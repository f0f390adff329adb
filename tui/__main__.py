"""``python -m tui`` is ``hubtop``."""

import sys

from .cli import main

sys.exit(main())
