"""Untrusted text into Rich and Textual: always as plain text, never as markup, through the one boundary.

Rich parses a ``str`` handed to a ``Table`` cell, a ``Static`` or a notification as console markup, and
Textual parses a border title the same way, so ``[/]`` in a VM name would crash the app and
``[@click=app.quit]`` would make data clickable. Everything from the wire, a file or the user reaches a widget
through these helpers: made safe by :func:`~tui.protocol.text.clean`, and wrapped as ``Text``/``Content``.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.content import Content

from ..protocol.text import FIELD_LIMIT, clean, clean_lines


def plain(text: object, style: str | Style = "", limit: int = FIELD_LIMIT) -> Text:
    """A Rich ``Text`` of ``text``, made safe, never parsed as markup."""
    return Text(clean(text, limit), style=style)


def block(text: object, style: str | Style = "") -> Text:
    """As :func:`plain`, keeping line breaks (a dialog's body)."""
    return Text(clean_lines(text), style=style)


def seg(text: object, style: Style | None = None) -> Segment:
    """A segment of a row drawn with the Line API, made safe."""
    return Segment(clean(text), style)


def title(text: object) -> Content:
    """A border title or subtitle: Textual parses a ``str`` there as markup; ``Content`` is plain."""
    return Content(clean(text, 400))
