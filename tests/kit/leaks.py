"""The security tests' distinctive secrets (so a leak cannot hide behind a common word), what hubtop may ask of a
server (it only reads), a hub over TLS that knows the secrets, and where to look for a leak."""

from __future__ import annotations

from kit import tls
from kit.hub import HubServer, standard_world

#: the only frames hubtop sends, and the only requests it makes
PING_FRAME = {"event_type": "health", "message": "ping"}
CLIENT_ID_FRAME = {"event_type": "system", "message": "client-id"}
READS = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/orchestrator/hosts"),
    ("GET", "/api/v1/orchestrator/machines"),
    ("POST", "/api/v1/ws/unsubscribe"),
    ("GET", "/api/v1/ws/subscribe"),  # the WebSocket itself
}

#: the secrets of the security tests
TOKEN = "tok-9f2c71-SECURITY-ONLY"
PASSWORD = "pw-Xq7-SECURITY-hunter2"
API_KEY = "a2V5LTViZTA6U0VDVVJJVFktMHhmZWVk"  # base64 of key-5be0:SECURITY-0xfeed, as the server hands it out
WRONG_PASSWORD = "pw-WRONG-SECURITY-letmein"


def tls_server(**kw) -> HubServer:
    """A hub with the standard world over TLS, its certificate from the test CA (:func:`kit.tls.ca`)."""
    hub = HubServer(token=TOKEN, ssl_context=tls.server_context("127.0.0.1", "localhost"), **kw)
    standard_world(hub)
    return hub


def assert_nowhere(secrets: list[str], texts: dict[str, str]) -> None:
    """None of ``secrets`` (each one not empty) is in any of ``texts`` (where -> text)."""
    for secret in secrets:
        assert secret
        for where, text in texts.items():
            assert secret not in text, f"a secret ({secret[:6]}…) leaked into {where}"


def log_text(caplog) -> str:
    """Everything ``caplog`` caught, the records' messages and arguments included."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
    return "\n".join(parts)
