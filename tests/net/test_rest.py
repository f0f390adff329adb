"""HubRest against a real aiohttp server on 127.0.0.1: login, listings, unsubscribe, and every failure as one
human line without a secret in it."""

from __future__ import annotations

import json

import pytest
from kit import tls
from kit.client import fast_settings
from kit.hub import API_KEY, PASSWORD, TOKEN, HubServer
from kit.raw import SilentServer, free_port
from kit.wire import HOST_A, host_record, vm_record

from tui.protocol.errors import HubError
from tui.settings import SecretStr, Settings
from tui.transport.rest import HubRest

SECRETS = (TOKEN, PASSWORD, API_KEY)


def all_secrets(url: str, **kw) -> Settings:
    """Settings holding every kind of secret (a token, an API key, a user's password)."""
    values = dict(token=SecretStr(TOKEN), api_key=SecretStr(API_KEY), user="admin", password=SecretStr(PASSWORD))
    values.update(kw)
    return fast_settings(url, **values)


def check_error(err: HubError, *, kind: str, contains: tuple[str, ...] = ()) -> str:
    """One line a person can act on, of the right kind, without any secret."""
    text = str(err)
    assert err.kind == kind, (err.kind, text)
    assert text and "\n" not in text and len(text) < 400
    for secret in SECRETS:
        assert secret not in text and secret not in repr(err)
    for part in contains:
        assert part in text, (part, text)
    assert "Traceback" not in text
    return text


async def fail(settings: Settings, call: str = "hosts", *args) -> HubError:
    async with HubRest(settings) as rest:
        with pytest.raises(HubError) as info:
            await getattr(rest, call)(*args)
    return info.value


# ------------------------------------------------------------------------------------------------ login


@pytest.mark.parametrize(("user", "key"), [("admin@example.com", "email"), ("admin", "username")])
async def test_login_with_user_and_password(hub, user, key):
    s = fast_settings(hub.url, token=None, user=user, password=SecretStr(PASSWORD))
    async with HubRest(s) as rest:
        token = await rest.login()
        assert hub.logins == [{key: user, "password": PASSWORD}]
        assert token.get_secret_value().startswith("tok-fresh-") and token.get_secret_value() in hub.tokens
        await rest.hosts()
    method, path, headers = hub.requests[-1]
    assert (method, path) == ("GET", "/api/v1/orchestrator/hosts")
    assert headers["Authorization"] == f"Bearer {token.get_secret_value()}"


async def test_login_with_api_key(hub):
    s = fast_settings(hub.url, token=None, api_key=SecretStr(API_KEY))
    async with HubRest(s) as rest:
        token = await rest.login()
    assert hub.logins == [{"api_key": API_KEY}]
    assert token.get_secret_value() in hub.tokens


async def test_login_without_credentials():
    s = fast_settings("http://127.0.0.1:1", token=SecretStr("t"))
    async with HubRest(s) as rest:
        with pytest.raises(HubError) as info:
            await rest.login()
    check_error(info.value, kind="auth", contains=("--token", "--api-key", "--user"))


async def test_login_refused(hub):
    err = await fail(fast_settings(hub.url, token=None, user="admin", password=SecretStr("wrong-S3CR3T")), "login")
    text = check_error(err, kind="auth", contains=("401",))
    assert "wrong-S3CR3T" not in text


@pytest.mark.parametrize(("body", "words"), [("<html>login</html>", "not JSON"), ('{"email": "x"}', "no token")])
async def test_login_answer_without_a_token(hub, body, words):
    hub.overrides["/api/v1/auth/token"] = (200, body)
    err = await fail(all_secrets(hub.url), "login")
    check_error(err, kind="protocol", contains=(words,))


# ------------------------------------------------------------------------------------------------ headers


async def test_token_header(hub):
    async with HubRest(fast_settings(hub.url)) as rest:
        hosts = await rest.hosts()
    assert [h.id for h in hosts] == [host_record(HOST_A, "x")["id"], hub.hosts[1]["id"]]
    headers = hub.requests[-1][2]
    assert headers["Authorization"] == f"Bearer {TOKEN}" and "X-Api-Key" not in headers


async def test_api_key_header(hub):
    hub.header_api_keys.add(API_KEY)
    async with HubRest(fast_settings(hub.url, token=None, api_key=SecretStr(API_KEY))) as rest:
        machines = await rest.machines()
    assert [m.name for m in machines] == ["ci-runner-1", "ci-runner-2"]
    headers = hub.requests[-1][2]
    assert headers["X-Api-Key"] == API_KEY and "Authorization" not in headers
    assert not hub.logins


async def test_expired_token_logs_in_again_and_retries(hub):
    hub.tokens.clear()  # the token we hold has expired
    async with HubRest(all_secrets(hub.url)) as rest:
        hosts = await rest.hosts()
    assert len(hosts) == 2 and len(hub.logins) == 1
    paths = [(m, p, h.get("Authorization", "")) for m, p, h in hub.requests]
    assert paths[0] == ("GET", "/api/v1/orchestrator/hosts", f"Bearer {TOKEN}")
    assert paths[1][:2] == ("POST", "/api/v1/auth/token")
    assert paths[2][:2] == ("GET", "/api/v1/orchestrator/hosts") and paths[2][2].startswith("Bearer tok-fresh-")


# ------------------------------------------------------------------------------------------------ listings


async def test_hosts_and_machines(hub):
    hub.hosts.append({"no_id": True})  # one bad record does not hide the others
    hub.machines.append({"id": "docs-form", "name": "Lower", "os_type": "windows", "state": "paused",
                         "host_id": HOST_A})
    async with HubRest(fast_settings(hub.url)) as rest:
        hosts, vms = await rest.snapshot()
    assert [h.host for h in hosts] == ["http://mac-mini-01.local:80/api", "http://mac-studio-02.local:80/api"]
    assert [(v.id, v.name, v.state, v.os, v.host_id) for v in vms] == [
        ("vm-1", "ci-runner-1", "running", "macosx", HOST_A),
        ("vm-2", "ci-runner-2", "stopped", "macosx", hub.hosts[1]["id"]),
        ("docs-form", "Lower", "paused", "windows", HOST_A),
    ]


async def test_null_listing_is_empty(hub):
    hub.overrides["/api/v1/orchestrator/machines"] = (200, "null")
    async with HubRest(fast_settings(hub.url)) as rest:
        assert await rest.machines() == []


@pytest.mark.parametrize(("body", "words"), [("<html>hello</html>", "is not JSON"), ('{"hosts": []}', "is not a list"),
                                             ('"hosts"', "is not a list")])
async def test_listing_that_is_not_a_json_list(hub, body, words):
    hub.overrides["/api/v1/orchestrator/hosts"] = (200, body)
    err = await fail(all_secrets(hub.url))
    check_error(err, kind="protocol", contains=(words, "hosts list"))


# ------------------------------------------------------------------------------------------------ unsubscribe


async def test_unsubscribe_ok(hub):
    hub.known_clients.add("client-1")
    async with HubRest(fast_settings(hub.url)) as rest:
        done = await rest.unsubscribe("client-1", ["pdfm", "stats"])
    assert done == ["pdfm", "stats"]
    assert hub.unsubscribes == [{"client_id": "client-1", "event_types": ["pdfm", "stats"]}]


async def test_unsubscribe_partial(hub):
    hub.known_clients.add("client-1")
    hub.unsubscribe_answer = "partial"
    async with HubRest(fast_settings(hub.url)) as rest:
        done = await rest.unsubscribe("client-1", ["pdfm", "stats", "auth"])
    assert done == ["pdfm"]


async def test_unsubscribe_refused(hub):
    err = await fail(all_secrets(hub.url), "unsubscribe", "no-such-client", ["pdfm"])
    check_error(err, kind="http", contains=("400", "unsubscribe", "client not found"))


# ------------------------------------------------------------------------------------------------ HTTP errors


@pytest.mark.parametrize(("status", "kind", "words"), [
    (401, "auth", ("401", "token, API key or password")),
    (403, "forbidden", ("403", "permission")),
    (404, "not_found", ("404", "prefix")),
    (409, "conflict", ("409", "one connection per IP")),
    (503, "unavailable", ("503", "not running")),
    (500, "http", ("500",)),
    (418, "http", ("418",)),
])
async def test_http_errors(hub, status, kind, words):
    hub.overrides["/api/v1/orchestrator/hosts"] = (status, json.dumps({"code": status, "message": "server says no"}))
    err = await fail(fast_settings(hub.url))
    assert err.status == status
    text = check_error(err, kind=kind, contains=words)
    if status != 404:
        assert "server says no" in text


async def test_401_without_a_way_to_log_in(hub):
    hub.tokens.clear()
    err = await fail(fast_settings(hub.url))
    check_error(err, kind="auth", contains=("401",))
    assert not hub.logins


async def test_a_server_that_repeats_the_credentials_does_not_leak_them(hub):
    hub.echo_auth = True
    hub.tokens.clear()
    err = await fail(all_secrets(hub.url, user="admin", password=SecretStr("wrong" + PASSWORD)))
    check_error(err, kind="auth", contains=("401", "rejected credentials"))
    assert "wrong" + PASSWORD not in str(err)
    err = await fail(fast_settings(hub.url, token=SecretStr(TOKEN)))
    check_error(err, kind="auth")


# ------------------------------------------------------------------------------------------------ network errors


async def test_connection_refused():
    port = free_port()
    err = await fail(all_secrets(f"http://127.0.0.1:{port}"))
    check_error(err, kind="unreachable", contains=("connection refused", f"127.0.0.1:{port}"))


async def test_dns_failure():
    err = await fail(all_secrets("http://nonexistent.invalid:5680"))
    check_error(err, kind="unreachable", contains=("resolve", "nonexistent.invalid"))


async def test_timeout():
    async with SilentServer() as silent:
        err = await fail(all_secrets(silent.url, timeout=0.3))
        assert silent.accepted >= 1
    check_error(err, kind="timeout", contains=("did not answer", "0.3 s"))


# ------------------------------------------------------------------------------------------------ TLS


@pytest.fixture
async def tls_hub():
    async with HubServer(ssl_context=tls.server_context("127.0.0.1", "localhost")) as hub:
        hub.hosts = [host_record(HOST_A, "secure.local")]
        hub.machines = [vm_record("v", HOST_A, "tls-vm")]
        yield hub


async def test_tls_untrusted_certificate(tls_hub):
    assert tls_hub.url.startswith("https://")
    err = await fail(all_secrets(tls_hub.url))
    check_error(err, kind="tls", contains=("--ca-file", "--insecure", "not trusted"))


async def test_tls_with_ca_file(tls_hub, tmp_path):
    ca_file = tls.ca_file(tmp_path)
    async with HubRest(fast_settings(tls_hub.url, ca_file=str(ca_file))) as rest:
        hosts, vms = await rest.snapshot()
    assert hosts[0].host == "http://secure.local:80/api" and vms[0].name == "tls-vm"


async def test_tls_insecure(tls_hub):
    async with HubRest(fast_settings(tls_hub.url, insecure=True)) as rest:
        assert [v.name for v in await rest.machines()] == ["tls-vm"]


async def test_plain_http_to_a_tls_server(tls_hub):
    err = await fail(all_secrets(tls_hub.url.replace("https://", "http://")))
    assert err.kind in ("unreachable", "protocol")
    check_error(err, kind=err.kind)


async def test_tls_to_a_plain_server(hub):
    err = await fail(all_secrets(hub.url.replace("http://", "https://")))
    check_error(err, kind="tls", contains=("TLS", "is it a TLS server?"))
