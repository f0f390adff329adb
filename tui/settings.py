"""Settings: flags > environment (``HUBTOP_*``) > a profile in the TOML config file > defaults.

Secrets (token, API key, password) are held in :class:`SecretStr`, whose ``str``/``repr`` never show them. A
config file that holds a secret is refused unless only its owner can read it, as ssh does with keys.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import re
import ssl
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import SecretStr

from .profile import config_path, load_profile
from .protocol.errors import HubError
from .protocol.models import CHANNELS, DEFAULT_CHANNELS
from .protocol.text import clean

DEFAULT_URL = "http://127.0.0.1:5680"
DEFAULT_PREFIX = "/api"


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


#: query parameters the server takes a token from: never accepted in a URL, never silently dropped
_CREDENTIAL_QUERY = ("access_token", "authorization", "token", "api_key", "apikey", "password")


def _url_without_secrets(text: str) -> str:
    """``text`` for an error line: no ``user:pass@``, no query or fragment, safe for a terminal."""
    text = re.sub(r"(?<=//)[^/?#]*@", "", text).split("?")[0].split("#")[0]
    return clean(text, 200)


def normalise_url(url: str, source: str = "the URL") -> tuple[str, str]:
    """``host:port`` or ``http(s)://host[:port][/prefix]`` -> (api base URL, WebSocket base URL).

    A user name, a password or a token in the URL is refused (``source`` names where the URL came from),
    and the error never repeats them: hubtop takes credentials only from their own settings."""
    text = url.strip()
    if "//" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        why = "a port is a number from 0 to 65535" if "port" in str(exc).lower() else "check its brackets"
        raise HubError(f"{source} is not a valid URL: {_url_without_secrets(text)!r} ({why})", "config") from None
    if "@" in parts.netloc:
        raise HubError(f"{source} holds a user name or password (user:pass@); hubtop takes no credentials from "
                       "a URL: use --user with HUBTOP_PASSWORD, or HUBTOP_TOKEN / HUBTOP_API_KEY", "config")
    if any(key.lower() in _CREDENTIAL_QUERY for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        raise HubError(f"{source} holds a token in its query (access_token=...); hubtop takes no credentials "
                       "from a URL: set HUBTOP_TOKEN instead", "config")
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("http", "https") or not parts.hostname:
        raise HubError(f"{source} is not a valid hub URL: {_url_without_secrets(text)!r}; expected "
                       "http(s)://host[:port][/prefix]", "config")
    prefix = parts.path.rstrip("/") or DEFAULT_PREFIX
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    api = urlunsplit((scheme, netloc, prefix, "", ""))
    ws = urlunsplit(("wss" if scheme == "https" else "ws", netloc, prefix, "", ""))
    return api, ws


def api_key_parts(value: str) -> tuple[str, ...]:
    """``(KEY:SECRET, SECRET)`` when ``value`` is an encoded API key (base64 of exactly ``KEY:SECRET``, as the
    server hands it out and decodes it), else ``()``."""
    try:
        raw = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ()
    key, sep, secret = raw.partition(":")
    return (raw, secret) if sep and key and secret and ":" not in secret else ()


def encoded_api_key(value: str, source: str = "the API key") -> str:
    """The API key as the server wants it in ``X-Api-Key`` and at login: base64("KEY:SECRET"). Takes the
    encoded string or a plain ``KEY:SECRET``; anything else is a config error that does not repeat it."""
    text = value.strip()
    if api_key_parts(text):
        return text
    key, sep, secret = text.partition(":")
    if sep and key and secret and ":" not in secret and not any(c.isspace() for c in text):
        return base64.b64encode(text.encode("utf-8")).decode("ascii")
    raise HubError(f"{source} is neither the encoded key the server hands out (base64 of KEY:SECRET) nor "
                   "KEY:SECRET; copy the 'encoded' value of the key, or give its key and secret as KEY:SECRET",
                   "config")


#: entries the journal (the event log, the export) holds: each is about 1 KB, the frame's text and a few fields
DEFAULT_JOURNAL_SIZE = 10_000
MIN_JOURNAL_SIZE, MAX_JOURNAL_SIZE = 100, 1_000_000
DEFAULT_MAX_BODY = 256 * 1024 * 1024
MIN_MAX_BODY = 1024


@dataclass
class Settings:
    """Everything a connection to a hub needs (flags > ``HUBTOP_*`` > the profile > these defaults)."""

    #: the server: ``http(s)://host[:port][/prefix]`` (``--url``, ``HUBTOP_URL``, ``url``)
    url: str = DEFAULT_URL
    #: a bearer token (``--token``, ``HUBTOP_TOKEN``, ``token``)
    token: SecretStr | None = None
    #: an API key, as the server's encoded base64(KEY:SECRET) (``--api-key``, ``HUBTOP_API_KEY``, ``api_key``)
    api_key: SecretStr | None = None
    #: log in as this email or user name (``--user``, ``HUBTOP_USER``, ``user``)
    user: str | None = None
    #: the password of ``user`` (``HUBTOP_PASSWORD``, ``password``, or a prompt on a terminal)
    password: SecretStr | None = None
    #: the channels to subscribe to (``--channels``, ``HUBTOP_CHANNELS``, ``channels``)
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    #: do not verify the server's TLS certificate (``--insecure``, ``HUBTOP_INSECURE``, ``insecure``): warned of
    insecure: bool = False
    #: a CA bundle (PEM) to trust for the server's certificate (``--ca-file``, ``HUBTOP_CA_FILE``, ``ca_file``)
    ca_file: str | None = None
    #: seconds a request, a handshake or a confirmation may take, whole (``--timeout``, ``HUBTOP_TIMEOUT``)
    timeout: float = 10.0
    #: seconds between app-level health pings, and how long a pong may take before hubtop reconnects
    ping_interval: float = 30.0
    pong_timeout: float = 10.0
    #: the largest WebSocket frame accepted (bytes)
    max_frame: int = 16 * 1024 * 1024
    #: entries the event log and export keep (``HUBTOP_JOURNAL_SIZE``, ``journal_size``)
    journal_size: int = DEFAULT_JOURNAL_SIZE
    #: reconnect backoff: full jitter up to ``base * 2**(attempt-1)``, at most ``cap`` seconds
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    #: the largest REST body read (``HUBTOP_MAX_BODY``, ``max_body``; a hosts list of 100,000 hosts is well under)
    max_body: int = DEFAULT_MAX_BODY
    #: the TUI's most refreshes a second (``--refresh``, ``HUBTOP_REFRESH``, ``refresh``)
    refresh_hz: float = 10.0
    #: where the TUI's ``e`` writes exports (``--export-dir``, ``HUBTOP_EXPORT_DIR``, ``export_dir``)
    export_dir: str = "."
    #: the TUI draws ASCII symbols and borders (``--ascii``, ``HUBTOP_ASCII``, ``ascii``), times in UTC (``--utc``)
    ascii: bool = False
    utc: bool = False
    #: the profile's name (the TUI remembers its sort, mutes and panes per profile: :mod:`tui.state`)
    profile: str | None = None
    #: the profile's ``notify`` entry as written: true, false or a table (read by :class:`tui.model.alerts.AlertConfig`)
    notify: Any = True

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


class Loaded(NamedTuple):
    """What :func:`build_settings` makes: the settings, and the warnings to show once (beside them, not in
    them: the settings are the same whoever shows the warnings, and however often)."""

    settings: Settings
    warnings: tuple[str, ...]


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seconds(value: Any, source: str, unit: str = "seconds") -> float:
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise HubError(f"{source} must be a positive number of {unit}, not {clean(str(value), 40)!r}", "config")
    return seconds


_SIZE = re.compile(r"^\s*(\d[\d_,]*)\s*(?:([kmg])(?:i?b)?|b)?\s*$", re.IGNORECASE)


def _size(value: Any, source: str) -> int:
    """A number of bytes: ``268435456``, ``256MiB``, ``256M``, ``1G``, ``512 KiB``."""
    match = _SIZE.match(str(value)) if not isinstance(value, bool | float) else None
    if match is None:
        raise HubError(f"{source} must be a number of bytes (e.g. 256MiB), not {clean(str(value), 40)!r}", "config")
    number = int(match.group(1).replace("_", "").replace(",", ""))
    number *= 1024 ** " kmg".index((match.group(2) or " ").lower())
    if number < MIN_MAX_BODY:
        raise HubError(f"{source} must be at least {MIN_MAX_BODY} bytes, not {clean(str(value), 40)!r}", "config")
    return number


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


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
    api_key_from_flag: bool = False,
    environ: dict[str, str] | None = None,
    password_prompt: Any = None,
    refresh: float | None = None,
    export_dir: str | None = None,
    ascii: bool | None = None,
    utc: bool | None = None,
) -> Loaded:
    """Merge flags, environment and config file into Settings, and say what deserves a warning."""
    env = os.environ if environ is None else environ
    prof = load_profile(profile)
    in_file = f"in the config file {clean(str(config_path()), 300)}"

    def pick(flag: Any, env_key: str, prof_key: str, default: Any = None, flag_name: str = "") -> tuple[Any, str]:
        """The value and where it came from, as a person would name it."""
        if flag is not None:
            return flag, flag_name or f"--{prof_key.replace('_', '-')}"
        if env.get(env_key):
            return env[env_key], env_key
        if prof_key in prof and prof[prof_key] not in (None, ""):
            return prof[prof_key], f"{prof_key} {in_file}"
        return default, "the default"

    warnings: list[str] = []
    s = Settings()
    raw_url, url_from = pick(url, "HUBTOP_URL", "url", DEFAULT_URL)
    s.url = str(raw_url)
    normalise_url(s.url, url_from)  # validate early
    tok, _ = pick(token, "HUBTOP_TOKEN", "token")
    key, key_from = pick(api_key, "HUBTOP_API_KEY", "api_key", flag_name="--api-key")
    s.token = SecretStr(str(tok)) if tok else None
    s.api_key = SecretStr(encoded_api_key(str(key), key_from)) if key else None
    s.user, _ = pick(user, "HUBTOP_USER", "user")
    pw = env.get("HUBTOP_PASSWORD") or prof.get("password")
    if s.user and not pw and password_prompt is not None:
        pw = password_prompt(s.user)
    s.password = SecretStr(str(pw)) if pw else None
    s.channels = parse_channels(pick(channels, "HUBTOP_CHANNELS", "channels")[0])
    ins, ins_from = pick(insecure or None, "HUBTOP_INSECURE", "insecure", False)
    s.insecure = ins is True or str(ins).lower() in ("1", "true", "yes")
    s.ca_file = pick(ca_file, "HUBTOP_CA_FILE", "ca_file")[0]
    s.timeout = _seconds(*pick(timeout, "HUBTOP_TIMEOUT", "timeout", 10.0))
    s.max_body = _size(*pick(None, "HUBTOP_MAX_BODY", "max_body", DEFAULT_MAX_BODY))
    hz, where = pick(refresh, "HUBTOP_REFRESH", "refresh", 10.0)
    s.refresh_hz = _seconds(hz, where, "refreshes a second")
    s.export_dir = str(pick(export_dir, "HUBTOP_EXPORT_DIR", "export_dir", ".")[0])
    s.ascii = _flag(pick(ascii, "HUBTOP_ASCII", "ascii", False)[0])
    s.utc = _flag(pick(utc, "HUBTOP_UTC", "utc", False)[0])
    s.profile = profile
    s.notify = prof.get("notify", True)
    size, _ = pick(None, "HUBTOP_JOURNAL_SIZE", "journal_size", DEFAULT_JOURNAL_SIZE)
    try:
        s.journal_size = int(str(size).replace("_", "").replace(",", ""))
    except (TypeError, ValueError):
        s.journal_size = -1
    if not MIN_JOURNAL_SIZE <= s.journal_size <= MAX_JOURNAL_SIZE:
        raise HubError(f"journal_size (HUBTOP_JOURNAL_SIZE) must be a whole number from {MIN_JOURNAL_SIZE:,} to "
                       f"{MAX_JOURNAL_SIZE:,} entries", "config")
    if token_from_flag:
        warnings.append("warning: --token on the command line is visible to other users in the process list; "
                        "prefer HUBTOP_TOKEN or the config file")
    if api_key_from_flag:
        warnings.append("warning: --api-key on the command line is visible to other users in the process list; "
                        "prefer HUBTOP_API_KEY or the config file")
    if s.insecure:
        warnings.append(f"warning: {ins_from} is set: the server's TLS certificate is not checked, so anyone on "
                        "the way can pose as the server and read the credentials")
    api = urlsplit(s.api_base)
    if api.scheme == "http" and s.has_credentials() and not _is_loopback(api.hostname or ""):
        warnings.append(f"warning: credentials go to {s.display_url} over plain http://, readable by anyone on "
                        "the way; use https://")
    return Loaded(s, tuple(warnings))
