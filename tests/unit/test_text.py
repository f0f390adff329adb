"""The text boundary (tui/protocol/text.py) against unicodedata, for every code point: what it covers is exactly
the controls, format characters, surrogates and separators, and every one of them is a character Python calls
unprintable (the premise of the fast path that leaves a printable string alone without scanning it)."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from tui.protocol.text import _UNSAFE, _UNSAFE_IN_JSON, clean, json_line, json_safe

CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_the_unsafe_set_is_every_control_format_surrogate_and_separator() -> None:
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        covered = _UNSAFE.match(ch) is not None
        category = unicodedata.category(ch)
        # a few format characters of a newer Unicode than this Python's are unassigned (Cn) here: covered too
        assert covered == (category in CATEGORIES) or (covered and category == "Cn"), hex(cp)
        if covered:
            assert not ch.isprintable(), hex(cp)  # the fast path's premise
            assert (_UNSAFE_IN_JSON.match(ch) is not None) == (ch not in "\t\n\r"), hex(cp)


@pytest.mark.parametrize("text", ["plain text", "mac-mini-01.local", "naïve café ✔ ▶", "\u00a0nbsp"])
def test_printable_text_is_left_as_it_is(text: str) -> None:
    assert clean(text) is text or clean(text) == text
    assert json_safe(json.dumps(text, ensure_ascii=False)) == json.dumps(text, ensure_ascii=False)


def test_a_frame_becomes_one_safe_line_with_the_same_value() -> None:
    value = {"message": "x\u202ey\x1b]0;t\x07", "body": {"n": 1}}
    framed = json.dumps(value, ensure_ascii=False, indent=2) + "\n"  # a server's pretty frame, newline-ended
    line = json_line(framed)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line
    assert json.loads(line) == value
    plain = json.dumps({"a": "b"}) + "\n"
    assert json_line(plain) == json.dumps({"a": "b"})  # the real server's trailing newline only
