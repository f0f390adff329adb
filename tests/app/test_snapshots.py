"""Snapshot tests of the main screen, help and details (pytest-textual-snapshot).

The app is fed a seeded world with the clock frozen and no socket, so every run draws the same screen.
Regenerate after a deliberate UI change with ``pytest tests/app/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from kit.app import seeded_app


def test_main_screen_80x24(snap_compare) -> None:
    assert snap_compare(seeded_app(), terminal_size=(80, 24))


def test_main_screen_160x50(snap_compare) -> None:
    assert snap_compare(seeded_app(), terminal_size=(160, 50))


def test_help_screen(snap_compare) -> None:
    assert snap_compare(seeded_app(), press=["question_mark"], terminal_size=(100, 32))


def test_details_dialog(snap_compare) -> None:
    assert snap_compare(seeded_app(), press=["enter"], terminal_size=(100, 32))


def test_filtered_tree_160x50(snap_compare) -> None:
    assert snap_compare(seeded_app(hosts=10), press=["slash", *"studio", "enter"], terminal_size=(160, 50))
