"""TLS for the tests: one test CA for the session, and what is made from it (a server's context, the CA as a
file for ``--ca-file``, a client's context that trusts it)."""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

import trustme


@functools.cache
def ca() -> trustme.CA:
    """The test CA (one for the whole session: nothing outside the tests trusts it)."""
    return trustme.CA()


def server_context(*names: str) -> ssl.SSLContext:
    """A server's TLS context with a certificate from :func:`ca` for ``names`` (``127.0.0.1`` unless given)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca().issue_cert(*(names or ("127.0.0.1",))).configure_cert(ctx)
    return ctx


def client_context() -> ssl.SSLContext:
    """A client's TLS context that trusts :func:`ca`."""
    ctx = ssl.create_default_context()
    ca().configure_trust(ctx)
    return ctx


def ca_file(directory: Path) -> Path:
    """:func:`ca`'s certificate written to ``directory/ca.pem`` (for ``--ca-file``); its path."""
    path = directory / "ca.pem"
    ca().cert_pem.write_to_path(str(path))
    return path
