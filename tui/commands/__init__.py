"""One module per subcommand, imported lazily by :mod:`tui.cli` (``--help``, ``status`` and ``tail`` never
import Textual)."""
