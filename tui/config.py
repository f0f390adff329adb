"""Settings: flags > environment (``HUBTOP_*``) > a profile in the TOML config file > defaults.

Secrets (token, API key, password) are held in :class:`Secret`, whose ``str``/``repr`` never show them. A
config file that holds a secret is refused unless only its owner can read it, as ssh does with keys.
"""

from __future__ import annotations

import os
import ssl
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .hub.errors import HubError
from .hub.models import CHANNELS, DEFAULT_CHANNELS

DEFAULT_URL = "http://127.0.0.1:5680"
DEFAULT_PREFIX = "/api"
SECRET_KEYS = ("token", "api_key", "password")


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def config_path() -> Path:
    env = os.environ.get("HUBTOP_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hubtop" / "config.toml"


def parse_channels(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"orchestrator, Health"`` -> ``("orchestrator", "health")``; unknown names are an error."""
    if text is None:
        return DEFAULT_CHANNELS
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in items:
        name = str(raw).strip().lower()
        if not name:
            continue
        if name not in CHANNELS:
            raise HubError(f"unknown channel {str(raw).strip()!r}; known channels: {', '.join(CHANNELS)}", "config")
        if name not in out:
            out.append(name)
    return tuple(out)


def normalise_url(url: str) -> tuple[str, str]:
    """``host:port`` or ``http(s)://host[:port][/prefix]`` -> (api base URL, WebSocket base URL)."""
    text = url.strip()
    if "//" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise HubError(f"not a valid URL: {url!r} ({exc})", "config") from None
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss"):
        scheme = "http" if scheme == "ws" else "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise HubError(f"not a valid hub URL: {url!r}; expected http(s)://host[:port][/prefix]", "config")
    prefix = parts.path.rstrip("/") or DEFAULT_PREFIX
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    api = urlunsplit((scheme, netloc, prefix, "", ""))
    ws = urlunsplit(("wss" if scheme == "https" else "ws", netloc, prefix, "", ""))
    return api, ws


#: entries the journal (the event log, the export) holds: each is about 1 KB, the frame's text and a few fields
DEFAULT_JOURNAL_SIZE = 10_000
MIN_JOURNAL_SIZE, MAX_JOURNAL_SIZE = 100, 1_000_000


@dataclass
class Settings:
    url: str = DEFAULT_URL
    token: Secret | None = None
    api_key: Secret | None = None
    user: str | None = None
    password: Secret | None = None
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    insecure: bool = False
    ca_file: str | None = None
    timeout: float = 10.0
    ping_interval: float = 30.0
    pong_timeout: float = 10.0
    max_frame: int = 16 * 1024 * 1024
    journal_size: int = DEFAULT_JOURNAL_SIZE
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    warnings: list[str] = field(default_factory=list)

    @property
    def api_base(self) -> str:
        return normalise_url(self.url)[0]

    @property
    def ws_base(self) -> str:
        return normalise_url(self.url)[1]

    @property
    def display_url(self) -> str:
        """The server as shown to a person (no credentials, no prefix noise)."""
        parts = urlsplit(self.api_base)
        return f"{parts.scheme}://{parts.netloc}{parts.path if parts.path != DEFAULT_PREFIX else ''}"

    @property
    def server_hostname(self) -> str:
        return urlsplit(self.api_base).hostname or ""

    def subscribe_url(self, channels: tuple[str, ...] | None = None) -> str:
        # an empty tuple means global only (every other channel removed), not "the settings' channels"
        chosen = self.channels if channels is None else channels
        chans = ",".join(c for c in chosen if c != "global") or "global"
        return f"{self.ws_base}/v1/ws/subscribe?event_types={chans}"

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.api_base.startswith("https"):
            return None
        try:
            ctx = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else ssl.create_default_context()
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc.__class__.__name__
            raise HubError(f"cannot read the CA file {self.ca_file!r}: {reason}", "config") from None
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def has_credentials(self) -> bool:
        return bool(self.token or self.api_key or (self.user and self.password))


def load_profile(profile: str | None = None, path: Path | None = None) -> dict[str, Any]:
    """The named (or default) profile of the config file; ``{}`` when there is no file."""
    import tomllib

    path = path or config_path()
    if not path.exists():
        if profile:
            raise HubError(f"profile {profile!r} asked for, but there is no config file at {path}", "config")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise HubError(f"cannot read the config file {path}: {exc.__class__.__name__}", "config") from None
    profiles = data.get("profiles", {}) if isinstance(data.get("profiles"), dict) else {}
    name = profile or data.get("default_profile")
    if name:
        if name not in profiles or not isinstance(profiles[name], dict):
            raise HubError(f"no profile {name!r} in {path}", "config")
        section = dict(profiles[name])
    else:
        section = {k: v for k, v in data.items() if k not in ("profiles", "default_profile")}
    # a secret anywhere in the file counts, not only in the profile in use: others can read it all the same
    sections = [data, *(p for p in profiles.values() if isinstance(p, dict))]
    if any(k in sec for sec in sections for k in SECRET_KEYS):
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise HubError(
                f"{path} holds a secret but other users can read it; run: chmod 600 {path}", "config"
            )
    return section


def build_settings(
    *,
    url: str | None = None,
    token: str | None = None,
    api_key: str | None = None,
    user: str | None = None,
    channels: str | None = None,
    insecure: bool | None = None,
    ca_file: str | None = None,
    timeout: float | None = None,
    profile: str | None = None,
    token_from_flag: bool = False,
    environ: dict[str, str] | None = None,
    password_prompt: Any = None,
) -> Settings:
    """Merge flags, environment and config file into Settings."""
    env = os.environ if environ is None else environ
    prof = load_profile(profile)

    def pick(flag: Any, env_key: str, prof_key: str, default: Any = None) -> Any:
        if flag is not None:
            return flag
        if env.get(env_key):
            return env[env_key]
        if prof_key in prof and prof[prof_key] not in (None, ""):
            return prof[prof_key]
        return default

    s = Settings()
    s.url = str(pick(url, "HUBTOP_URL", "url", DEFAULT_URL))
    normalise_url(s.url)  # validate early
    tok = pick(token, "HUBTOP_TOKEN", "token")
    key = pick(api_key, "HUBTOP_API_KEY", "api_key")
    s.token = Secret(str(tok)) if tok else None
    s.api_key = Secret(str(key)) if key else None
    s.user = pick(user, "HUBTOP_USER", "user")
    pw = env.get("HUBTOP_PASSWORD") or prof.get("password")
    if s.user and not pw and password_prompt is not None:
        pw = password_prompt(s.user)
    s.password = Secret(str(pw)) if pw else None
    s.channels = parse_channels(pick(channels, "HUBTOP_CHANNELS", "channels"))
    ins = pick(insecure or None, "HUBTOP_INSECURE", "insecure", False)
    s.insecure = ins is True or str(ins).lower() in ("1", "true", "yes")
    s.ca_file = pick(ca_file, "HUBTOP_CA_FILE", "ca_file")
    try:
        s.timeout = float(pick(timeout, "HUBTOP_TIMEOUT", "timeout", 10.0))
    except (TypeError, ValueError):
        raise HubError("--timeout must be a number of seconds", "config") from None
    size = pick(None, "HUBTOP_JOURNAL_SIZE", "journal_size", DEFAULT_JOURNAL_SIZE)
    try:
        s.journal_size = int(str(size).replace("_", "").replace(",", ""))
    except (TypeError, ValueError):
        s.journal_size = -1
    if not MIN_JOURNAL_SIZE <= s.journal_size <= MAX_JOURNAL_SIZE:
        raise HubError(f"journal_size (HUBTOP_JOURNAL_SIZE) must be a whole number from {MIN_JOURNAL_SIZE:,} to "
                       f"{MAX_JOURNAL_SIZE:,} entries", "config")
    if token_from_flag:
        s.warnings.append(
            "warning: --token on the command line is visible to other users in the process list; "
            "prefer HUBTOP_TOKEN or the config file"
        )
    return s
