"""What the TUI remembers between runs, per profile: the theme, the sort order, the muted message types, the
collapsed hosts and which panes are shown. Kept in the XDG state directory (``platformdirs``:
``$XDG_STATE_HOME/hubtop``, ``~/.local/state/hubtop``), one small JSON file per profile.

It is a convenience, never a reason to fail: a missing, corrupt, oversized or hostile file costs the fields
that cannot be read (they take their defaults, and :func:`load_state` says which), never the start. It is
written atomically (a private temporary file in the same directory, then a rename) with mode 0600, so a
crash mid-write leaves the old file, and another user cannot read which hosts someone watches. Values are
checked on the way in as well as out: this is a file anyone with the account can edit, and what it holds
ends up on screen (the theme name, muted types) and in the app's state.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .protocol.text import clean

__all__ = ["MAX_BYTES", "UiState", "load_state", "save_state", "state_dir", "state_path"]

FORMAT = 1
#: the largest state file read (a fleet's collapsed hosts fit many times over)
MAX_BYTES = 1024 * 1024
MAX_MUTED = 64
MAX_COLLAPSED = 20_000
MAX_PANES = 16
MAX_ID = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,63}$")
_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


@dataclass
class UiState:
    theme: str = ""
    #: a :class:`~tui.model.sorting.SortOrder` value ("" for the default); an unknown one reads as the default
    sort: str = ""
    #: muted message types and channels (``channel:<name>``), as :meth:`MuteList.names` gives them
    muted: list[str] = field(default_factory=list)
    #: ids of collapsed hosts
    collapsed: list[str] = field(default_factory=list)
    #: pane name -> shown
    panes: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "theme": self.theme, "sort": self.sort, "muted": list(self.muted),
                "collapsed": list(self.collapsed), "panes": dict(self.panes)}


def state_dir() -> Path:
    """``$XDG_STATE_HOME/hubtop`` (or the platform's equivalent)."""
    import platformdirs

    return Path(platformdirs.user_state_path("hubtop", appauthor=False))


def state_path(profile: str | None = None, base: Path | None = None) -> Path:
    """The state file of ``profile`` (``None``: the default profile). A name that is not a plain file name
    is made one, with a hash of the name so that two names never share a file."""
    name = profile or "default"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64].lstrip(".") or "_"
    if safe != name:
        safe += "-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return (base if base is not None else state_dir()) / f"state-{safe}.json"


# ------------------------------------------------------------------ reading


def _read(path: Path) -> tuple[bytes | None, str]:
    """The file's bytes (``None`` when there is none or it cannot be used) and why not."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"cannot read it ({clean(exc.strerror or exc.__class__.__name__, 80)})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "it is not a regular file"
        if info.st_size > MAX_BYTES:
            return None, f"it is larger than {MAX_BYTES:,} bytes"
        with open(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None, f"it is larger than {MAX_BYTES:,} bytes"
        return data, ""
    except OSError as exc:
        return None, f"cannot read it ({clean(exc.strerror or exc.__class__.__name__, 80)})"
    finally:
        os.close(fd)


def _text(value: Any, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


def _ids(value: Any, most: int, limit: int) -> list[str] | None:
    """A list of distinct, safe strings (each at most ``limit`` characters), the first ``most`` of them;
    ``None`` when ``value`` is not a list. Bad items are dropped."""
    if not isinstance(value, list):
        return None
    out: list[str] = []
    seen: set[str] = set()
    for item in value:
        if len(out) >= most:
            break
        if isinstance(item, str) and 0 < len(item) <= limit and clean(item, limit) == item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def parse_state(data: bytes) -> tuple[UiState, list[str]]:
    """The state in ``data``, and the fields that could not be read (they keep their defaults)."""
    state = UiState()
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return state, ["the file is not JSON"]
    if not isinstance(value, dict):
        return state, ["the file does not hold an object"]
    problems: list[str] = []
    for name, pattern in (("theme", _NAME), ("sort", _WORD)):
        if name in value:
            text = _text(value[name], pattern)
            if text is None and value[name] != "":
                problems.append(name)
            else:
                setattr(state, name, text or "")
    for name, most, limit in (("muted", MAX_MUTED, 200), ("collapsed", MAX_COLLAPSED, MAX_ID)):
        if name in value:
            items = _ids(value[name], most, limit)
            if items is None or (isinstance(value[name], list) and len(items) < len(value[name])):
                problems.append(name)
            setattr(state, name, items or [])
    if "panes" in value:
        panes = value["panes"]
        if isinstance(panes, dict):
            good = {k: v for k, v in list(panes.items())[:MAX_PANES] if _WORD.match(k) and isinstance(v, bool)}
            if len(good) < len(panes):
                problems.append("panes")
            state.panes = good
        else:
            problems.append("panes")
    return state, problems


def load_state(profile: str | None = None, path: Path | None = None) -> tuple[UiState, list[str]]:
    """The remembered state of ``profile`` (defaults when there is none), and what could not be read of it,
    as short lines safe for a terminal. Never raises."""
    path = path if path is not None else state_path(profile)
    try:
        data, why = _read(path)
    except Exception as exc:  # pragma: no cover - a guard: remembering is never a reason to fail
        data, why = None, exc.__class__.__name__
    if data is None:
        return UiState(), [f"the saved state {clean(str(path), 200)} was not read: {why}"] if why else []
    state, problems = parse_state(data)
    if problems:
        return state, [f"the saved state {clean(str(path), 200)}: could not read {', '.join(problems)} "
                       "(defaults used)"]
    return state, []


# ------------------------------------------------------------------ writing


def save_state(state: UiState, profile: str | None = None, path: Path | None = None) -> str | None:
    """Write the state atomically (mode 0600, its directory 0700 when made). Returns ``None``, or why it
    could not be written (safe for a terminal): never raises."""
    path = path if path is not None else state_path(profile)
    clean_state, _ = parse_state(json.dumps(state.to_json()).encode("utf-8"))  # what is written reads back
    text = json.dumps(clean_state.to_json(), indent=1, ensure_ascii=True) + "\n"
    if len(text) > MAX_BYTES:
        return "the state is too large to save"
    tmp = ""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".tmp")
        with open(fd, "w", encoding="ascii") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = ""
        return None
    except OSError as exc:
        return f"could not save the state to {clean(str(path), 200)}: {clean(exc.strerror or exc.__class__.__name__, 80)}"
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
