"""What the app sends to the terminal when little happens (issue 14): nothing at all while nothing changes (the
clock frozen, the feed quiet, ticks going on), and for one event the log's new row and the one tree row it
changed, not the tree. Paints are counted where they happen: each pane's ``render_line`` (the Line API widgets)
or ``render`` (the status bar), wrapped on the app's own instances."""

from __future__ import annotations

from collections import Counter

from kit.app import FROZEN_AT, seeded_app, wait_for
from kit.wire import frame

from tui.protocol.parse import parse_frame


class Paints:
    """Which lines (or renders) of which pane were painted since :meth:`clear`."""

    def __init__(self, app) -> None:
        self.lines: dict[str, Counter] = {}
        for name, widget in (("tree", app.host_tree), ("log", app.log_view), ("channels", app.channels),
                             ("details", app.details)):
            self._wrap_lines(name, widget)
        for name, widget in (("status", app.status_bar),):
            self._wrap_render(name, widget)

    def _wrap_lines(self, name: str, widget) -> None:
        counter = self.lines.setdefault(name, Counter())
        original = widget.render_line

        def render_line(y: int):
            counter[y] += 1
            return original(y)

        widget.render_line = render_line

    def _wrap_render(self, name: str, widget) -> None:
        counter = self.lines.setdefault(name, Counter())
        original = widget.render

        def render():
            counter[0] += 1
            return original()

        widget.render = render

    def clear(self) -> None:
        for counter in self.lines.values():
            counter.clear()

    def painted(self) -> dict[str, dict[int, int]]:
        return {name: dict(counter) for name, counter in self.lines.items() if counter}


async def test_a_quiet_screen_paints_nothing_while_its_ticks_go_on() -> None:
    app = seeded_app(hosts=8, vms=4)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(1.5)  # the first paints, and the first second's
        paints = Paints(app)
        ticks = app.ticks
        await pilot.pause(3.5)
        assert app.ticks >= ticks + 2  # the app did tick (once a second, quiet): it found nothing to draw
        assert paints.painted() == {}


async def test_one_event_repaints_the_new_log_row_and_the_one_tree_row() -> None:
    app = seeded_app(hosts=8, vms=4)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(1.5)
        feed, tree = app.monitor.feed, app.host_tree
        selected = tree.cursor_key[1]
        host = next(h for h in feed.cluster.hosts.values() if h.health == "healthy" and h.id != selected
                    and tree.row_of(("h", h.id, "")) is not None)
        row = tree.row_of(("h", host.id, "")) - tree.scroll_offset.y
        assert 0 <= row < tree.size.height
        paints = Paints(app)
        before = feed.journal.received
        event = frame("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": host.id, "state": "unhealthy"}, id="paint-1")
        feed.handle(parse_frame(event, received_at=FROZEN_AT))
        await wait_for(pilot, lambda: "unhealthy" in tree.render_line(row).text, what="the host row repainted")
        await pilot.pause(1.2)  # a second's tick too: the ages, the counts
        painted = paints.painted()
        assert set(painted["tree"]) == {row}, painted["tree"]  # that row, not the tree
        assert painted.get("log"), "the log shows the new row"
        log_rows = app.log_view.size.height
        assert feed.journal.received == before + 1
        # the log scrolls by one: Textual repaints its rows (no terminal scroll regions), but only the rows, once
        assert max(painted["log"].values()) <= 2 and set(painted["log"]) <= set(range(log_rows))
        assert "details" not in painted  # another host is selected
