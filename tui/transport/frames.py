"""What a client hands a consumer that asks for frames as they came (``takes_bad_frames``): a recorder keeps every
frame whole, ``hubtop tail --raw`` prints every JSON object the server sent, even one hubtop cannot read as an
event. Everyone else gets the :class:`~tui.protocol.parse.Malformed` alone."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.parse import Malformed


@dataclass(slots=True)
class BadFrame:
    """A frame :func:`~tui.protocol.parse.parse_frame` refused: why (``malformed``, as any consumer gets it) and
    the frame itself, whole, as it arrived (``data``: text, or bytes for a binary frame)."""

    malformed: Malformed
    data: str | bytes

    @property
    def received_at(self) -> float:
        return self.malformed.received_at
