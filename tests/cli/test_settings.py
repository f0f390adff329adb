"""Settings a user can get wrong, at the command line (``tui.cli.main`` in-process, a hub in a thread where one is
needed): each warning shown once, a bad timeout, a URL with credentials and a bad API key refused in one line
before connecting, exit 2 (3 for ``status``), no traceback; a plain API key reaches the server encoded."""

from __future__ import annotations

import pytest
from kit.cli import no_config
from kit.hub import ENCODED_KEY as ENCODED
from kit.hub import HubServer, standard_world
from kit.threads import ServerThread

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_config(monkeypatch, tmp_path):
    """No config file and no HUBTOP_* of the developer's."""
    no_config(monkeypatch, tmp_path)


def run(capsys, *args: str) -> tuple[int, str, list[str]]:
    from tui.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err.splitlines()


def test_the_cli_says_each_warning_once(capsys):
    with ServerThread(HubServer(token="tok-initial", header_api_keys=(ENCODED,))) as hub:
        standard_world(hub)
        code, out, err = run(capsys, "status", "--url", hub.url, "--insecure", "--api-key", ENCODED,
                             "--token", "tok-initial")
    assert code == 2 and out.startswith("HUBTOP CRITICAL")  # connected: an unhealthy host in the standard world
    assert len(err) == 3 and len(set(err)) == 3, err
    assert all(line.startswith("hubtop: warning: ") for line in err)
    assert sum("--api-key on the command line" in line for line in err) == 1
    assert sum("--insecure is set" in line for line in err) == 1
    assert ENCODED not in "\n".join(err)


@pytest.mark.parametrize(("command", "code"), [("status", 3), ("tail", 2)])
def test_the_cli_refuses_a_bad_timeout_in_one_line(capsys, monkeypatch, command, code):
    monkeypatch.setenv("HUBTOP_TIMEOUT", "0")
    got, out, err = run(capsys, command, "--url", "http://127.0.0.1:9")
    assert (got, out) == (code, "")
    assert err == ["hubtop: HUBTOP_TIMEOUT must be a positive number of seconds, not '0'"]


def test_the_cli_refuses_a_url_with_credentials_before_connecting(capsys):
    with ServerThread(HubServer()) as hub:
        url = hub.url.replace("http://", "http://admin:S3CR3T-pw@")
        code, out, err = run(capsys, "status", "--url", url)
        assert hub.requests == []
    assert (code, out, len(err)) == (3, "", 1)
    assert err[0] == ("hubtop: --url holds a user name or password (user:pass@); hubtop takes no credentials from a "
                      "URL: use --user with HUBTOP_PASSWORD, or HUBTOP_TOKEN / HUBTOP_API_KEY")


@pytest.mark.parametrize("where", ["header", "login"])
def test_a_plain_key_reaches_the_server_encoded(capsys, monkeypatch, where):
    monkeypatch.setenv("HUBTOP_API_KEY", "key-id:key-S3CR3T-secret")
    keys = {"header_api_keys": (ENCODED,)} if where == "header" else {"login_api_keys": (ENCODED,)}
    with ServerThread(HubServer(token=None, **keys)) as hub:
        standard_world(hub)
        code, out, err = run(capsys, "status", "--url", hub.url)
        assert hub.attempts[0].headers["X-Api-Key"] == ENCODED
        assert hub.logins == ([] if where == "header" else [{"api_key": ENCODED}])
    assert code == 2 and err == []


def test_the_cli_refuses_a_bad_key_before_connecting(capsys, monkeypatch):
    monkeypatch.setenv("HUBTOP_API_KEY", "not-a-key")
    with ServerThread(HubServer()) as hub:
        code, out, err = run(capsys, "status", "--url", hub.url)
        assert hub.requests == []
    assert (code, out, len(err)) == (3, "", 1) and "not-a-key" not in err[0]
