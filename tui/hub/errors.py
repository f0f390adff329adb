"""One error type for everything that can go wrong talking to a hub, each with a one-line human sentence."""

from __future__ import annotations

import socket
import ssl


class HubError(Exception):
    """A failure talking to the hub. ``str(err)`` is one line a person can act on; it never holds a secret.

    ``kind`` is one of: ``unreachable``, ``timeout``, ``tls``, ``auth``, ``forbidden``, ``not_found``,
    ``conflict``, ``unavailable``, ``protocol``, ``http``, ``config``.
    """

    def __init__(self, message: str, kind: str = "protocol", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in ("unreachable", "timeout", "conflict", "unavailable", "http", "protocol")

    def __str__(self) -> str:
        return self.message


def _server_says(body: str, secrets: tuple[str, ...] = ()) -> str:
    """The ``message`` of the server's error JSON, if there is one, cut to something short, with any of
    ``secrets`` it repeats (a careless server or proxy may echo the credentials) blanked out."""
    import json

    try:
        value = json.loads(body)
    except ValueError:
        return ""
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        text = value["message"]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return " ".join(text.split())[:160]
    return ""


def for_status(status: int, where: str, body: str = "", what: str = "request",
               secrets: tuple[str, ...] = (), has_credentials: bool = True) -> HubError:
    """A HubError for an HTTP answer ``status`` from ``where``; ``secrets`` never appear in it."""
    said = _server_says(body, secrets)
    tail = f": {said}" if said else ""
    if status == 401 and not has_credentials:
        return HubError(f"{where} needs credentials (401): set HUBTOP_TOKEN or HUBTOP_API_KEY, or log in with "
                        "--user and HUBTOP_PASSWORD", "auth", 401)
    if status == 401:
        return HubError(f"authentication failed at {where} (401){tail}; check the token, API key or password", "auth", 401)
    if status == 403:
        return HubError(f"access denied at {where} (403){tail}; the account lacks the permission", "forbidden", 403)
    if status == 404:
        return HubError(
            f"{what} not found at {where} (404); is this a Parallels DevOps server, and is the URL prefix right?",
            "not_found",
            404,
        )
    if status == 409:
        return HubError(
            f"the server allows one connection per IP and one is still open (409){tail}", "conflict", 409
        )
    if status == 503:
        return HubError(f"the Events Hub is not running on {where} (503){tail}", "unavailable", 503)
    if status == 400:
        return HubError(f"the server refused the {what} (400){tail}", "http", 400)
    if 200 <= status < 400:
        return HubError(f"unexpected answer {status} to the {what} at {where}; is this a Parallels DevOps server, "
                        "and is the URL prefix right?", "protocol", status)
    return HubError(f"unexpected answer {status} from {where}{tail}", "http", status)


def describe(exc: BaseException, where: str) -> HubError:
    """Turn any network-level exception into a HubError with one human line."""
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = getattr(exc, "verify_message", "") or "certificate not trusted"
        return HubError(
            f"TLS certificate of {where} is not trusted ({reason}); "
            "pass --ca-file FILE to trust its CA, or --insecure to skip verification",
            "tls",
        )
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        return HubError(f"TLS handshake with {where} failed ({reason}); is it a TLS server?", "tls")
    if isinstance(exc, socket.gaierror):
        return HubError(f"cannot resolve the host name of {where}; check the URL", "unreachable")
    if isinstance(exc, ConnectionRefusedError):
        return HubError(f"cannot connect to {where}: connection refused; is the server running?", "unreachable")
    if isinstance(exc, TimeoutError):
        return HubError(f"{where} did not answer in time", "timeout")
    if isinstance(exc, ConnectionError):
        return HubError(f"connection to {where} was lost ({exc.__class__.__name__})", "unreachable")
    if isinstance(exc, OSError):
        text = exc.strerror or exc.__class__.__name__
        return HubError(f"cannot connect to {where}: {text}", "unreachable")
    return HubError(f"talking to {where} failed ({exc.__class__.__name__})", "protocol")
