"""One error type for everything that can go wrong talking to a hub, each with a one-line human sentence.

Every string a server sent that ends up in one of these sentences goes through :func:`~tui.protocol.text.clean`
and is cut short: an error line goes to stderr and to the status bar as it is.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import ssl
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from .text import clean

#: the most characters of a server's own words in one error line
SAID_LIMIT = 160


class ErrorKind(StrEnum):
    """What went wrong, as far as what to do next is concerned. Equal to the plain strings it replaced."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"
    PROTOCOL = "protocol"
    HTTP = "http"
    CONFIG = "config"
    #: the server sent the request elsewhere (3xx); hubtop follows no redirect, so it is the URL to fix
    REDIRECT = "redirect"

    @property
    def retryable(self) -> bool:
        """Trying again later may work (the network, the server's state); the others need a person first."""
        return self in _RETRYABLE


_RETRYABLE = frozenset({ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT, ErrorKind.CONFLICT, ErrorKind.UNAVAILABLE,
                        ErrorKind.HTTP, ErrorKind.PROTOCOL})


class HubError(Exception):
    """A failure talking to the hub. ``str(err)`` is one line a person can act on; it never holds a secret."""

    def __init__(self, message: str, kind: ErrorKind | str = ErrorKind.PROTOCOL, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = ErrorKind(kind)
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind.retryable

    def __str__(self) -> str:
        return self.message


class WriteBufferFull(ConnectionError):
    """The server stopped reading what hubtop sends (pongs to its pings pile up): the connection is dropped."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes unsent")
        self.size = size


_NUMBERED = re.compile(r"^\s*\d+\.\s*(?:\[[^\]]*\]\s*)?(.+?)\s*$")


def _sentences_of(value: Any) -> str:
    """The human sentence of a server's error JSON, whichever of its shapes it has (see the protocol reference,
    "Error bodies"); ``""`` when there is none."""
    if not isinstance(value, dict):
        return ""
    description = value.get("error_description")  # the auth middleware's OAuth shape
    if isinstance(description, str) and description.strip():
        return description
    diagnostics = value.get("diagnostics")  # /ws/*: the sentences are here, the message is a dump
    if isinstance(diagnostics, dict) and isinstance(diagnostics.get("errors"), list):
        said = [e["message"] for e in diagnostics["errors"][:5]
                if isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"].strip()]
        if said:
            return "; ".join(said)
    message = value.get("message")
    if isinstance(message, str) and message.strip():
        lines = message.splitlines()
        if len(lines) > 1:  # a diagnostics dump without its diagnostics: the numbered lines under "Errors:"
            start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "Errors:"), len(lines))
            section = [line for line in itertools.takewhile(str.strip, lines[start:])][:5]
            errors = [m.group(1) for m in map(_NUMBERED.match, section) if m]
            return "; ".join(errors) if errors else next(line for line in lines if line.strip())
        return message
    stack = value.get("stack")
    if isinstance(stack, list) and stack and isinstance(stack[0], dict):
        for key in ("description", "error"):
            if isinstance(stack[0].get(key), str) and stack[0][key].strip():
                return stack[0][key]
    error = value.get("error")
    return error if isinstance(error, str) else ""


def _server_says(body: str, secrets: tuple[str, ...] = ()) -> str:
    """The sentence of the server's error JSON, if there is one: one line, made safe for a terminal, cut
    short, with any of ``secrets`` it repeats (a careless server or proxy may echo the credentials) blanked."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    text = _sentences_of(value)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return clean(" ".join(text.split()), SAID_LIMIT)


def shown_location(base: str, location: str | None) -> str:
    """Where a redirect points, as safe to show: resolved against ``base``, without user name, password,
    query or fragment (they may hold credentials), made safe for a terminal."""
    if not location:
        return "nowhere (no Location)"
    try:
        parts = urlsplit(urljoin(base, location.strip()))
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        text = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        text = "an address that is not a valid URL"
    return clean(text, 200)


def redirected(where: str, what: str, status: int, base: str, location: str | None) -> HubError:
    """A 3xx answer: hubtop follows no redirect (the credentials would go along), it says where it pointed."""
    return HubError(f"the server at {where} redirected the {what} ({status}) to {shown_location(base, location)}; "
                    "not followed (hubtop sends credentials only to the URL it was given: fix --url)",
                    ErrorKind.REDIRECT, status)


def for_status(status: int, where: str, body: str = "", what: str = "request",
               secrets: tuple[str, ...] = (), has_credentials: bool = True) -> HubError:
    """A HubError for an HTTP answer ``status`` from ``where``; ``secrets`` never appear in it."""
    said = _server_says(body, secrets)
    tail = f": {said}" if said else ""
    if status == 401 and not has_credentials:
        return HubError(f"{where} needs credentials (401): set HUBTOP_TOKEN or HUBTOP_API_KEY, or log in with "
                        "--user and HUBTOP_PASSWORD", ErrorKind.AUTH, 401)
    if status == 401:
        if said:
            return HubError(f"authentication failed: {said} (401 from {where}); check the token, API key or "
                            "password", ErrorKind.AUTH, 401)
        return HubError(f"authentication failed at {where} (401); check the token, API key or password",
                        ErrorKind.AUTH, 401)
    if status == 403:
        return HubError(f"access denied at {where} (403){tail}; the account lacks the permission",
                        ErrorKind.FORBIDDEN, 403)
    if status == 404:
        return HubError(
            f"{what} not found at {where} (404); is this a Parallels DevOps server, and is the URL prefix right?",
            ErrorKind.NOT_FOUND,
            404,
        )
    if status == 409:
        return HubError(
            f"the server allows one connection per IP and one is still open (409){tail}", ErrorKind.CONFLICT, 409
        )
    if status == 503:
        return HubError(f"the Events Hub is not running on {where} (503){tail}", ErrorKind.UNAVAILABLE, 503)
    if status == 400:
        return HubError(f"the server refused the {what} (400){tail}", ErrorKind.HTTP, 400)
    if 200 <= status < 400:
        return HubError(f"unexpected answer {status} to the {what} at {where}; is this a Parallels DevOps server, "
                        "and is the URL prefix right?", ErrorKind.PROTOCOL, status)
    return HubError(f"unexpected answer {status} from {where}{tail}", ErrorKind.HTTP, status)


#: OpenSSL's verify codes for a certificate valid, but for another name (X509_V_ERR_HOSTNAME_MISMATCH,
#: X509_V_ERR_IP_ADDRESS_MISMATCH)
_NAME_MISMATCH = (62, 64)


def describe(exc: BaseException, where: str) -> HubError:
    """Turn any network-level exception into a HubError with one human line."""
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = clean(getattr(exc, "verify_message", "") or "certificate not trusted", SAID_LIMIT)
        if getattr(exc, "verify_code", None) in _NAME_MISMATCH:
            return HubError(
                f"the TLS certificate of {where} is for another name ({reason}); use in --url a host name the "
                "certificate names",
                ErrorKind.TLS,
            )
        return HubError(
            f"TLS certificate of {where} is not trusted ({reason}); "
            "pass --ca-file FILE to trust its CA, or --insecure to skip verification",
            ErrorKind.TLS,
        )
    if isinstance(exc, ssl.SSLError):
        reason = clean(getattr(exc, "reason", None) or exc.__class__.__name__, SAID_LIMIT)
        return HubError(f"TLS handshake with {where} failed ({reason}); is it a TLS server?", ErrorKind.TLS)
    if isinstance(exc, socket.gaierror):
        return HubError(f"cannot resolve the host name of {where}; check the URL", ErrorKind.UNREACHABLE)
    if isinstance(exc, ConnectionRefusedError):
        return HubError(f"cannot connect to {where}: connection refused; is the server running?",
                        ErrorKind.UNREACHABLE)
    if isinstance(exc, TimeoutError):
        return HubError(f"{where} did not answer in time", ErrorKind.TIMEOUT)
    if isinstance(exc, WriteBufferFull):
        return HubError(f"{where} stopped reading what hubtop sends ({exc.size // 1024:,} KiB unsent); "
                        "connection dropped", ErrorKind.UNREACHABLE)
    if isinstance(exc, ConnectionError):
        return HubError(f"connection to {where} was lost ({exc.__class__.__name__})", ErrorKind.UNREACHABLE)
    if isinstance(exc, OSError):
        text = clean(exc.strerror or exc.__class__.__name__, SAID_LIMIT)
        return HubError(f"cannot connect to {where}: {text}", ErrorKind.UNREACHABLE)
    return HubError(f"talking to {where} failed ({exc.__class__.__name__})", ErrorKind.PROTOCOL)
