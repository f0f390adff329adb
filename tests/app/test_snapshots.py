"""Snapshot tests of the main screen at the sizes people's terminals have, in ASCII, in 16 colours, in a light
theme and with NO_COLOR, and of help, details and a filtered tree (pytest-textual-snapshot).

The app is fed a seeded world with the clock frozen and no socket, so every run draws the same screen.
Regenerate after a deliberate UI change with ``pytest tests/app/test_snapshots.py --snapshot-update``, and look
at each SVG before committing it.
"""

from __future__ import annotations

import pytest
from kit.app import seeded_app


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (130, 24), (160, 50), (200, 60)],
                         ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, size) -> None:
    assert snap_compare(seeded_app(hosts=10), terminal_size=size)


def test_main_screen_ascii_80x24(snap_compare) -> None:
    assert snap_compare(seeded_app(ascii=True), terminal_size=(80, 24))


def test_main_screen_16_colours_130x24(snap_compare) -> None:
    assert snap_compare(seeded_app(ansi=True), terminal_size=(130, 24))


def test_main_screen_light_theme_130x24(snap_compare) -> None:
    async def light(pilot) -> None:
        pilot.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(seeded_app(), run_before=light, terminal_size=(130, 24))


def test_main_screen_no_color_100x30(snap_compare, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(seeded_app(), terminal_size=(100, 30))


def test_too_small_says_what_it_needs(snap_compare) -> None:
    assert snap_compare(seeded_app(), terminal_size=(36, 9))


def test_help_screen(snap_compare) -> None:
    assert snap_compare(seeded_app(), press=["question_mark"], terminal_size=(100, 32))


def test_details_dialog(snap_compare) -> None:
    assert snap_compare(seeded_app(), press=["enter"], terminal_size=(100, 32))


def test_filtered_tree_160x50(snap_compare) -> None:
    assert snap_compare(seeded_app(hosts=10), press=["slash", *"studio", "enter"], terminal_size=(160, 50))


def test_filter_grammar_and_problems_80x24(snap_compare) -> None:
    assert snap_compare(seeded_app(hosts=10), press=["slash", *"state:run", "enter", "exclamation_mark"],
                        terminal_size=(80, 24))


def test_an_invalid_filter_says_why_100x30(snap_compare) -> None:
    assert snap_compare(seeded_app(), press=["slash", *"colour:red"], terminal_size=(100, 30))


def test_log_search_and_sort_160x50(snap_compare) -> None:
    assert snap_compare(seeded_app(hosts=10), press=["s", "tab", "slash", *"running", "enter"],
                        terminal_size=(160, 50))
