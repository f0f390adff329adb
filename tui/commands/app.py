"""``hubtop`` with no subcommand: the TUI (the only command that imports Textual, with ``demo``)."""

from __future__ import annotations

from ..settings import Settings


def tui(settings: Settings) -> int:
    from ..app.app import HubtopApp

    app = HubtopApp(settings, refresh_hz=settings.refresh_hz, export_dir=settings.export_dir,
                    ascii=settings.ascii, utc=settings.utc, remember=True)
    app.run()
    return app.return_code or 0
