"""What the TUI remembers between runs (tui/state.py): per profile, atomic, private, read tolerantly."""

from __future__ import annotations

import json
import os
import stat

from tui.state import MAX_BYTES, UiState, load_state, parse_state, save_state, state_dir, state_path


def test_round_trip_per_profile(tmp_path):
    state = UiState(theme="nord", sort="problems", muted=["HOST_STATS_UPDATE", "channel:system_logs"],
                    collapsed=["a" * 32], panes={"log": False, "details": True})
    assert save_state(state, "work", state_path("work", tmp_path)) is None
    assert load_state("work", state_path("work", tmp_path)) == (state, [])
    assert load_state("home", state_path("home", tmp_path)) == (UiState(), [])  # nothing saved: defaults


def test_written_atomically_and_privately(tmp_path):
    path = state_path(None, tmp_path / "new")
    assert save_state(UiState(theme="nord"), path=path) is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    save_state(UiState(theme="dracula"), path=path)
    assert load_state(path=path)[0].theme == "dracula"


def test_a_corrupt_file_costs_nothing_but_itself(tmp_path):
    path = tmp_path / "state.json"
    for data in (b"{not json", b"\xff\xfe", b"[1, 2]", b"null", b"[" * 100_000):
        path.write_bytes(data)
        state, problems = load_state(path=path)
        assert state == UiState() and len(problems) == 1


def test_bad_fields_cost_those_fields_only(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"theme": "\x1b]0;owned\x07", "sort": "vms", "muted": ["OK_TYPE", 3, "BAD\x1b"],
                                "collapsed": "not a list", "panes": {"log": True, "x y": True, "tree": "yes"},
                                "unknown": 1}))
    state, problems = load_state(path=path)
    assert state == UiState(sort="vms", muted=["OK_TYPE"], panes={"log": True})
    (line,) = problems
    assert "theme" in line and "muted" in line and "collapsed" in line and "panes" in line
    assert "\x1b" not in line


def test_bounded(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"theme": "nord", "pad": "x" * (MAX_BYTES + 1)}))
    state, problems = load_state(path=path)
    assert state == UiState() and "larger than" in problems[0]
    state, _ = parse_state(json.dumps({"collapsed": [f"h{i}" for i in range(50_000)],
                                       "muted": [f"T{i}" for i in range(500)]}).encode())
    assert len(state.collapsed) == 20_000 and len(state.muted) == 64


def test_not_a_regular_file(tmp_path):
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    state, problems = load_state(path=fifo)  # never blocks
    assert state == UiState() and "not a regular file" in problems[0]
    link = tmp_path / "link.json"
    (tmp_path / "target.json").write_text(json.dumps({"theme": "nord"}))
    link.symlink_to(tmp_path / "target.json")
    state, problems = load_state(path=link)  # a symlink planted at the path is not followed
    assert state == UiState() and problems


def test_saving_never_raises(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    why = save_state(UiState(), path=blocker / "sub" / "state.json")
    assert why is not None and "could not save" in why


def test_what_is_saved_is_what_reads_back(tmp_path):
    path = tmp_path / "s.json"
    save_state(UiState(theme="\x1bbad", muted=["A", "A", "B\x07"], collapsed=["h"]), path=path)
    assert load_state(path=path) == (UiState(muted=["A"], collapsed=["h"]), [])


def test_profile_names_become_safe_distinct_file_names(tmp_path):
    names = {state_path(p, tmp_path).name for p in (None, "default", "a/b", "a_b", "../x", "\x1b")}
    assert len(names) == 5  # None and "default" share the default profile's file
    for p in ("a/b", "../x", "\x1b"):
        assert state_path(p, tmp_path).parent == tmp_path


def test_the_xdg_state_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert state_dir() == tmp_path / "hubtop"
