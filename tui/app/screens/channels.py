"""Channel toggles as a dialog (narrow terminals, where the channels pane does not fit)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from ..safe import title as plain_title
from ..widgets.channels import ChannelList


class ChannelsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,c", "dismiss", "Close", show=True)]

    def compose(self) -> ComposeResult:
        channels = ChannelList(id="channels-dialog")
        channels.border_title = plain_title("Channels: Space toggles; the boxes show what the server confirmed")
        channels.border_subtitle = plain_title("Escape, q or c closes")
        yield channels

    def on_mount(self) -> None:
        self.refresh_rows()
        self.set_interval(0.25, self.refresh_rows)
        self.query_one(ChannelList).focus()

    def refresh_rows(self) -> None:
        self.query_one(ChannelList).show(self.app.channel_rows())

    def on_channel_list_toggle_requested(self, message: ChannelList.ToggleRequested) -> None:
        message.stop()
        self.app.toggle_channel(message.channel)

    def action_dismiss(self) -> None:
        self.dismiss(None)
