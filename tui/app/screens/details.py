"""The details of a host or VM as a dialog (narrow terminals, or Enter in the tree). Refreshed live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from ..safe import title as plain_title
from ..widgets.host_details import HostDetails


class DetailsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", show=True)]

    def __init__(self, key: tuple[str, str, str]) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        details = HostDetails(id="details-dialog")
        details.border_title = plain_title("Details of the " + ("host" if self.key[0] == "h" else "VM"))
        details.border_subtitle = plain_title("Escape, q or Enter closes")
        yield details

    def on_mount(self) -> None:
        self.refresh_details()
        self.set_interval(0.5, self.refresh_details)  # redraws only when what it shows changed

    def refresh_details(self) -> None:
        self.app.show_details(self.query_one(HostDetails), self.key)

    def action_dismiss(self) -> None:
        self.dismiss(None)
