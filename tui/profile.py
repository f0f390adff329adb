"""The config file: where it is, reading it safely, and the profile in it. Flags win over ``HUBTOP_*`` environment
variables, which win over the profile (:func:`tui.settings.build_settings` merges them)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .protocol.errors import HubError
from .protocol.text import clean

#: keys that make a config file hold a secret (so it must be readable by its owner only, as ssh demands of keys)
SECRET_KEYS = ("token", "api_key", "password")


def config_path() -> Path:
    env = os.environ.get("HUBTOP_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hubtop" / "config.toml"


_NOT_A_FILE = {stat.S_IFIFO: "a FIFO", stat.S_IFDIR: "a directory", stat.S_IFSOCK: "a socket"}


def _read_config(path: Path) -> tuple[str, int] | None:
    """The text and mode of the config file, ``None`` when there is none. Only a regular file is read: a
    FIFO would block forever and a device may never end, so they are refused (opened without blocking and
    checked on the open file, so nothing can swap the file between the check and the read)."""
    shown = clean(str(path), 300)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HubError(f"cannot read the config file {shown}: {clean(exc.strerror)}", "config") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _NOT_A_FILE.get(stat.S_IFMT(mode), "a device")
            raise HubError(f"the config file {shown} is {kind}, not a regular file; hubtop reads only a file",
                           "config")
        os.set_blocking(fd, True)
        with open(fd, "rb", closefd=False) as f:
            data = f.read()
    except OSError as exc:
        raise HubError(f"cannot read the config file {shown}: {clean(exc.strerror)}", "config") from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8"), mode
    except UnicodeDecodeError:
        raise HubError(f"cannot read the config file {shown}: it is not UTF-8 text", "config") from None


def load_profile(profile: str | None = None, path: Path | None = None) -> dict[str, Any]:
    """The named (or default) profile of the config file; ``{}`` when there is no file."""
    import tomllib

    path = path or config_path()
    read = _read_config(path)
    if read is None:
        if profile:
            raise HubError(f"profile {profile!r} asked for, but there is no config file at {clean(str(path))}",
                           "config")
        return {}
    text, mode = read
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HubError(f"cannot read the config file {clean(str(path))}: {exc.__class__.__name__}", "config") from None
    profiles = data.get("profiles", {}) if isinstance(data.get("profiles"), dict) else {}
    name = profile or data.get("default_profile")
    if name:
        if name not in profiles or not isinstance(profiles[name], dict):
            raise HubError(f"no profile {clean(str(name))!r} in {clean(str(path))}", "config")
        section = dict(profiles[name])
    else:
        section = {k: v for k, v in data.items() if k not in ("profiles", "default_profile")}
    # a secret anywhere in the file counts, not only in the profile in use: others can read it all the same
    sections = [data, *(p for p in profiles.values() if isinstance(p, dict))]
    if any(k in sec for sec in sections for k in SECRET_KEYS) and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise HubError(f"{clean(str(path))} holds a secret but other users can read it; run: chmod 600 {path}",
                       "config")
    return section
