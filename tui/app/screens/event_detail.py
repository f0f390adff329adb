"""One journal entry in full: the frame's JSON pretty-printed (or the malformed excerpt, the gap, the note), with
the time it arrived in the zone the screen shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...protocol.text import json_safe
from ..safe import title as plain_title

#: the most characters of one entry's JSON shown (a 16 MiB frame is not laid out whole)
_MOST = 512 * 1024


class EventDetailScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", show=True)]

    def __init__(self, title: str, record: dict[str, Any], utc: bool = False) -> None:
        super().__init__()
        self.title_text = title
        # the arrival time in the zone of the title, beside the epoch seconds the export keeps
        at = record.get("received_at")
        if isinstance(at, int | float):
            moment = datetime.fromtimestamp(at, UTC) if utc else datetime.fromtimestamp(at).astimezone()
            record = {"received": moment.isoformat(timespec="milliseconds"), **record}
        self.record = record

    def compose(self) -> ComposeResult:
        body = VerticalScroll(id="event-body", classes="dialog")
        body.border_title = plain_title(self.title_text)
        body.border_subtitle = plain_title("Escape, q or Enter closes")
        with body:
            # the JSON as text (escapes kept: a control or format character shows as \u...), highlighted
            # here rather than re-read by rich.json, which would write the characters out raw again
            text = Text(json_safe(json.dumps(self.record, ensure_ascii=False, indent=2)[:_MOST]))
            yield Static(JSONHighlighter()(text))

    def action_dismiss(self) -> None:
        self.dismiss(None)
