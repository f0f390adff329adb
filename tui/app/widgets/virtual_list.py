"""A virtual list with a cursor: renders only the visible rows (Line API), whatever the row count.

The host tree and the event log are both this: a flat list of rows computed from the model, a cursor that
follows a stable key, keyboard and mouse navigation. Subclasses implement :meth:`row_count` and
:meth:`render_row`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget


class AsciiScrollBar(ScrollBarRender):
    """A scrollbar of whole cells: the thumb's ends drawn without the eighth-block characters."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class VirtualList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    COMPONENT_CLASSES = {"virtual-list--cursor", "virtual-list--cursor-blur"}
    DEFAULT_CSS = """
    VirtualList {
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class _RowMessage(Message):
        def __init__(self, sender: VirtualList, index: int) -> None:
            super().__init__()
            self.sender = sender
            self.index = index

        @property
        def control(self) -> VirtualList:
            return self.sender

    class Highlighted(_RowMessage):
        """The cursor moved to another row."""

    class Selected(_RowMessage):
        """Enter (or a double click) on a row."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._rows = 0
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------------ to implement

    def row_count(self) -> int:
        return self._rows

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        raise NotImplementedError

    # ------------------------------------------------------------------ styles

    def style_for(self, name: str) -> Style:
        """A component class's rich style, cached until the theme or CSS changes."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    @property
    def base_style(self) -> Style:
        """The widget's own rich style, cached: ``rich_style`` walks the DOM on every call, and a row asks
        for it on every line of every repaint."""
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    # ------------------------------------------------------------------ rows

    def set_row_count(self, rows: int) -> None:
        """Tell the view how many rows there are now (keeps the cursor in range).

        Setting ``virtual_size`` lays the widget out and repaints all of it, border and all. While the
        scrollbar neither comes nor goes, only the size is taken and the scrollbar's thumb told: the rows that
        changed are repainted by whoever changed them, and a log that grows by a row does not resend its box."""
        self._rows = rows
        size = Size(0, rows)
        if size == self.virtual_size:
            pass
        elif self.is_mounted and self.container_size.height and \
                self.show_vertical_scrollbar == (rows > self.container_size.height):
            self.set_reactive(Widget.virtual_size, size)
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.window_virtual_size = rows
            if self.scroll_y > self.max_scroll_y:
                self.scroll_y = self.max_scroll_y
        else:
            self.virtual_size = size
        if self.cursor >= rows:
            self.set_cursor(max(0, rows - 1), scroll=False)

    def set_cursor(self, index: int, scroll: bool = True) -> None:
        index = max(0, min(index, self._rows - 1)) if self._rows else 0
        old = self.cursor
        self.set_reactive(VirtualList.cursor, index)
        if scroll:
            self.scroll_to_row(index)
        self.refresh_row(old)
        self.refresh_row(index)
        if old != index:
            self.post_message(self.Highlighted(self, index))

    def scroll_to_row(self, index: int) -> None:
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, force=True, immediate=True)

    def refresh_row(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def visible_range(self) -> range:
        top = self.scroll_offset.y
        return range(top, min(self._rows, top + self.size.height))

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # never under the scrollbar
        base = self.base_style
        if index >= self._rows or index < 0:
            return Strip.blank(width, base)
        cursor = index == self.cursor
        segments = self.render_row(index, width, cursor)
        post = None
        if cursor:
            name = "virtual-list--cursor" if self.has_focus else "virtual-list--cursor-blur"
            cursor_style = self.style_for(name)
            # the cursor's background and weight over the row, the row's own colours (they carry meaning) kept
            post = Style(bgcolor=cursor_style.bgcolor, bold=cursor_style.bold)
        # the widget's colours under every segment; neighbours of one style joined (fewer bytes to a terminal)
        strip = Strip(Segment.apply_style(segments, base, post))
        return strip.crop_extend(0, width, base + post if post is not None else base).simplify()  # the cursor: whole row

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, self._rows)

    def on_focus(self) -> None:
        self.refresh_row(self.cursor)

    def on_blur(self) -> None:
        self.refresh_row(self.cursor)

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self.set_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.set_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.set_cursor(self.cursor - max(1, self.size.height - 1))

    def action_page_down(self) -> None:
        self.set_cursor(self.cursor + max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.set_cursor(0)

    def action_last(self) -> None:
        self.set_cursor(self._rows - 1)

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.Selected(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self._rows:
            self.set_cursor(index, scroll=False)
            if event.chain >= 2:
                self.post_message(self.Selected(self, index))
