"""Terminal escape sequences hubtop writes on purpose: a desktop notification (OSC 9, OSC 777) and a copy to
the clipboard (OSC 52), built here as plain strings so a test can read them and the app only writes them out.

Everything put inside a sequence came from the server (a host's name, a job's error) or is an id the user
copies, and a control character inside an OSC would end it early and let the rest act on the terminal. So
the text is made safe by :func:`~tui.protocol.text.clean` first (every control, format and separator
character becomes a visible stand-in) and bounded; a copy that would not fit is refused rather than cut (a
cut id is a wrong id). OSC 52 carries base64, which holds no control characters at all.

Under tmux a sequence reaches the outer terminal only through passthrough: :func:`tmux_passthrough` wraps it
(tmux needs ``set -g allow-passthrough on``; for OSC 52, ``set -g set-clipboard on`` lets tmux forward it
itself). Whether the terminal acts on any of them cannot be known from here: the app says what it tried.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ..protocol.text import clean

__all__ = ["COPY_LIMIT", "Clip", "osc9", "osc52", "osc777", "tmux_passthrough"]

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"
#: the most characters a notification's title and body carry
TITLE_LIMIT = 80
BODY_LIMIT = 240
#: the most characters copied (ids and names are short; many terminals refuse large OSC 52 payloads)
COPY_LIMIT = 4096


def _safe(text: object, limit: int) -> str:
    """``text`` made safe, then cut to ``limit`` characters (clean's own "… (+N characters)" tail would
    make it longer)."""
    shown = clean(text, limit)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def osc9(body: object) -> str:
    """``ESC ] 9 ; body BEL``: a notification on iTerm2, WezTerm, kitty, Windows Terminal, foot, ghostty.
    A body starting with digits and ``;`` would read as ConEmu's progress or other OSC 9 sub-commands:
    such a body is prefixed with a space."""
    text = _safe(body, BODY_LIMIT)
    head = text.split(";", 1)[0]
    if ";" in text and head.isdigit():
        text = " " + text
    return f"{ESC}]9;{text}{BEL}"


def osc777(title: object, body: object) -> str:
    """``ESC ] 777 ; notify ; title ; body BEL``: a notification on urxvt, foot, ghostty, WezTerm, VTE
    terminals. The title cannot hold ``;`` (it ends the field): it becomes ``,``."""
    head = _safe(title, TITLE_LIMIT).replace(";", ",")
    return f"{ESC}]777;notify;{head};{_safe(body, BODY_LIMIT)}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """``sequence`` wrapped for tmux's passthrough (``ESC P tmux; ... ESC \\``, each ESC doubled)."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


@dataclass(frozen=True, slots=True)
class Clip:
    """What copying a string gives: the OSC 52 ``sequence`` to write ("" when refused), the ``text`` it
    puts on the clipboard (safe: it can be shown in a toast as it is) and, when refused, ``why``."""

    sequence: str
    text: str
    why: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.sequence)


def osc52(text: object, limit: int = COPY_LIMIT) -> Clip:
    """Copy ``text`` through OSC 52 (``ESC ] 52 ; c ; <base64> BEL``), which works over SSH and in tmux with
    ``set-clipboard on``. Control and format characters are never copied: their visible stand-ins are (ids
    and names are data). Refused when empty or longer than ``limit``."""
    raw = "" if text is None else str(text)
    if not raw:
        return Clip("", "", "nothing to copy")
    if len(raw) > limit:
        return Clip("", _safe(raw, 40), f"too long to copy ({len(raw):,} characters, at most {limit:,})")
    safe = clean(raw, limit)
    payload = base64.b64encode(safe.encode("utf-8")).decode("ascii")
    return Clip(f"{ESC}]52;c;{payload}{BEL}", safe)
