"""One journal entry in full: the frame's JSON pretty-printed (or the malformed excerpt, the gap, the note)."""

from __future__ import annotations

import json
from typing import Any

from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", show=True)]

    def __init__(self, title: str, record: dict[str, Any]) -> None:
        super().__init__()
        self.title_text = title
        self.record = record

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="event-body"):
            yield Static(Text(self.title_text, style="bold"), id="event-title")
            yield Static(JSON(json.dumps(self.record, ensure_ascii=False), indent=2))

    def action_dismiss(self) -> None:
        self.dismiss(None)
