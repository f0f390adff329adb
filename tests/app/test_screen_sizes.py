"""The screen at the sizes people's terminals have, and across resizes in one run: every pane inside the
screen, none over another, each with a usable height, rows never wider than their pane, the status bar wrapped
rather than cut; below 40x10 a line saying what hubtop needs; ASCII and a light theme as a user would set them."""

from __future__ import annotations

import html
import re

from kit.app import screen_text, seeded_app, static_text
from textual.geometry import Region

from tui.app.layout import Mode

SIZES = [(160, 50), (80, 24), (200, 60), (100, 30), (130, 24), (60, 20), (30, 8), (120, 40), (80, 24)]


def panes(app) -> dict[str, Region]:
    screen = app.screen
    out = {}
    for selector in ("#status", "#filter-row", "#tree", "#log", "#details", "#channels", "Footer"):
        widget = screen.query_one(selector)
        if widget.display and all(a.display for a in widget.ancestors if hasattr(a, "display")):
            out[selector] = widget.region
    return out


async def test_resizes_keep_every_pane_inside_usable_and_apart() -> None:
    app = seeded_app(hosts=12, vms=6)
    async with app.run_test(size=SIZES[0]) as pilot:
        for width, height in SIZES:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            await pilot.pause()
            plan = app.main_screen.layout_plan
            assert plan is not None and (plan.width, plan.height) == (width, height)  # the new size, not the last
            if plan.mode is Mode.TINY:
                assert "needs at least 40x10" in static_text(app.screen.query_one("#tiny"), width=width)
                assert not app.host_tree.region.area
                continue
            shown = panes(app)
            screen = Region(0, 0, width, height)
            for name, region in shown.items():
                assert screen.contains_region(region), (width, height, name, region)
            names = list(shown)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    assert not shown[a].overlaps(shown[b]), (width, height, a, b)
            assert shown["Footer"].y == height - 1
            assert shown["#status"].y == 0 and shown["#status"].height <= 3
            # the tree (or, in the one-column mode, whichever pane is shown) has rows to read
            assert "#tree" in shown or "#log" in shown
            if plan.mode is not Mode.COMPACT:
                assert app.host_tree.size.height >= 3 and app.log_view.size.height >= 5
            if plan.mode is Mode.WIDE:
                assert "#details" in shown and app.details.size.height >= 4
            # rows fit their pane: never wider (no wrap), the status bar's parts on their own rows, not cut
            for line in range(app.host_tree.size.height):
                assert app.host_tree.render_line(line).cell_length == app.host_tree.scrollable_content_region.width
            status = static_text(app.status_bar, width=width)
            assert "connected" in status and "events" in status, (width, height, status)


async def test_tab_switches_the_one_column_between_tree_and_log() -> None:
    app = seeded_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        assert app.main_screen.layout_plan.mode is Mode.COMPACT
        assert app.host_tree.display and not app.log_view.display
        await pilot.press("tab")
        await pilot.pause()
        assert app.log_view.display and not app.host_tree.display and app.focused is app.log_view
        await pilot.press("tab")
        await pilot.pause()
        assert app.host_tree.display and app.focused is app.host_tree


def screen_characters(app) -> list[str]:
    """Every piece of text on the whole screen (borders, scrollbars, toasts, the footer), from its screenshot."""
    svg = app.export_screenshot()
    return [html.unescape(t).replace("\xa0", " ") for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


async def test_ascii_draws_no_character_outside_ascii_anywhere() -> None:
    app = seeded_app(ascii=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lines = screen_text(app.host_tree) + screen_text(app.log_view)
        assert any(line.strip() for line in lines)
        await pilot.press("s")  # a toast too
        for keys in ((), ("question_mark",), ("escape", "v"), ("escape", "J"), ("escape", "L")):
            for key in keys:
                await pilot.press(key)
            await pilot.pause(0.3)
            texts = screen_characters(app)
            assert texts and all(t.isascii() for t in texts), (keys, [t for t in texts if not t.isascii()])


async def test_a_light_theme_keeps_muted_text_dimmer_than_text() -> None:
    from textual.color import Color

    app = seeded_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = "textual-light"
        await pilot.pause()
        variables = app.get_css_variables()
        background = Color.parse(variables["background"])
        muted, text = Color.parse(variables["muted"]), Color.parse(variables["foreground"])
        # muted sits between the background and the text in brightness: readable, and dimmer than text
        assert abs(muted.brightness - background.brightness) > 0.25
        assert abs(muted.brightness - background.brightness) < abs(text.brightness - background.brightness)
        assert muted.a == 1.0


async def test_rows_a_resize_brings_into_the_log_are_drawn_at_once() -> None:
    """Growing from 80x24 to 200x60 shows three times the log rows: the new ones are copied and drawn in the same
    moment, never left as placeholders until the log's next follow (up to 2 s later while nobody types)."""
    app = seeded_app(hosts=12, vms=6, steps=200)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(200, 60)
        for _ in range(3):
            await pilot.pause()
        log = app.log_view.region
        rows = [t.strip() for t in screen_characters(app)]
        assert app.log_view.size.height >= 15 and log.width == 200
        assert "…" not in rows, rows.count("…")
        assert sum(1 for t in rows if re.match(r"\d\d:\d\d:\d\d", t)) >= app.log_view.size.height - 1
