"""The symbols the screen draws, in two sets: Unicode, and ASCII for a Linux console, a locale that is not UTF-8,
or ``--ascii``. Colour is never the only carrier of meaning: every state has a symbol and a word, in both sets.
"""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Glyphs:
    ascii: bool
    health: dict[str, str]
    link: dict[str, str]
    vm: dict[str, str]
    state: dict[str, str]
    unknown: str
    expanded: str
    collapsed: str
    branch: str
    last: str
    unsure: str
    ellipsis: str
    spark: str
    gap: str
    warn: str
    error: str
    info: str
    sep: str
    arrow: str
    never: str
    #: what a summary written with Unicode arrows and ellipses becomes in this set
    swaps: tuple[tuple[str, str], ...] = field(default=())

    def text(self, value: str) -> str:
        """``value`` (a summary, a note) with this set's arrows and ellipses."""
        for old, new in self.swaps:
            if old in value:
                value = value.replace(old, new)
        return value


UNICODE = Glyphs(
    ascii=False,
    health={"healthy": "✔", "unhealthy": "✖"},
    link={"connected": "⇄", "disconnected": "⨯", "degraded": "≈"},
    vm={"running": "▶", "stopped": "■", "suspended": "◌", "paused": "‖", "starting": "↗", "stopping": "↘",
        "resuming": "↗", "suspending": "↘", "resetting": "↻"},
    state={"connected": "⇄", "connecting": "…", "reconnecting": "↻", "auth_failed": "✖", "stopped": "■",
           "idle": "…"},
    unknown="?", expanded="▾ ", collapsed="▸ ", branch="├─ ", last="└─ ", unsure="≟", ellipsis="…",
    spark="▁▂▃▄▅▆▇█", gap="⟂", warn="⚠", error="✖", info="ℹ", sep="│", arrow="→", never="–",
)

ASCII = Glyphs(
    ascii=True,
    health={"healthy": "+", "unhealthy": "x"},
    link={"connected": "<>", "disconnected": "X", "degraded": "~"},
    vm={"running": ">", "stopped": "#", "suspended": "o", "paused": "=", "starting": "^", "stopping": "v",
        "resuming": "^", "suspending": "v", "resetting": "@"},
    state={"connected": "<>", "connecting": "..", "reconnecting": "@", "auth_failed": "x", "stopped": "#",
           "idle": ".."},
    unknown="?", expanded="v ", collapsed="> ", branch="|- ", last="`- ", unsure="?!", ellipsis="...",
    spark=" .:-=+*#", gap="--", warn="!", error="x", info="i", sep="|", arrow="->", never="-",
    swaps=(("→", "->"), ("←", "<-"), ("↑", "Up"), ("↓", "Down"), ("…", "..."), ("–", "-"), ("—", "-"), ("“", '"'),
           ("”", '"'), ("·", "-")),
)


def choose(ascii_flag: bool = False, environ: dict[str, str] | None = None) -> Glyphs:
    """ASCII when asked (``--ascii``, ``HUBTOP_ASCII``), on a Linux console (``TERM=linux``), or when the locale
    is not UTF-8; Unicode otherwise."""
    env = os.environ if environ is None else environ
    if ascii_flag or env.get("HUBTOP_ASCII", "").lower() in ("1", "true", "yes"):
        return ASCII
    if env.get("TERM", "") == "linux":
        return ASCII
    wanted = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    encoding = wanted.split(".", 1)[1] if "." in wanted else (locale.getpreferredencoding(False) if not wanted else "")
    if wanted in ("C", "POSIX") or (encoding and encoding.replace("-", "").lower() not in ("utf8",)):
        return ASCII
    return UNICODE
