"""Settings a user can get wrong or that deserve a word: warnings returned beside the settings, bad timeouts and
sizes named where they came from, credentials in a URL, the two forms of an API key, and a config path that is not
a regular file. (What the command line says of them is in tests/cli/test_settings.py.)"""

from __future__ import annotations

import base64
import os
import threading

import pytest
from kit.cli import no_config
from kit.hub import ENCODED_KEY as ENCODED

from tui.protocol.errors import HubError
from tui.settings import Settings, build_settings

pytestmark = pytest.mark.timeout(60)


def load(**kw):
    """``(settings, warnings)``; today's ``build_settings`` kept the warnings inside the settings."""
    result = build_settings(**kw)
    return result if isinstance(result, tuple) else (result, tuple(result.warnings))


@pytest.fixture(autouse=True)
def _no_config(monkeypatch, tmp_path):
    """No config file and no HUBTOP_* of the developer's."""
    no_config(monkeypatch, tmp_path)


# ------------------------------------------------------------------------------------------------ warnings


def test_warnings_come_back_beside_the_settings():
    result = build_settings(token="t", token_from_flag=True, environ={})
    settings, warnings = result
    assert isinstance(settings, Settings) and not hasattr(settings, "warnings")
    assert [w for w in warnings if "--token on the command line" in w]


@pytest.mark.parametrize(("kw", "says"), [
    ({"api_key": "k:s", "api_key_from_flag": True}, "--api-key on the command line is visible to other users"),
    ({"insecure": True, "url": "https://hub.example"}, "--insecure is set: the server's TLS certificate is not checked"),
    ({"environ": {"HUBTOP_INSECURE": "1", "HUBTOP_URL": "https://hub.example"}},
     "HUBTOP_INSECURE is set: the server's TLS certificate is not checked"),
    ({"url": "http://hub.example:5680", "environ": {"HUBTOP_TOKEN": "t"}},
     "credentials go to http://hub.example:5680 over plain http://"),
])
def test_each_warning(kw, says):
    kw.setdefault("environ", {})
    if "api_key_from_flag" in kw:
        try:
            build_settings(api_key_from_flag=True, environ={})
        except TypeError:
            pytest.fail("build_settings does not know where the API key came from")
    _, warnings = load(**kw)
    assert len([w for w in warnings if says in w]) == 1, warnings


def test_the_plain_http_warning_is_only_for_credentials_to_another_host():
    assert load(url="http://hub.example", environ={"HUBTOP_TOKEN": "t"})[1]
    for url in ("http://127.0.0.1:5680", "http://localhost:5680", "http://[::1]:5680", "https://hub.example"):
        assert not load(url=url, environ={"HUBTOP_TOKEN": "t"})[1], url
    assert not load(url="http://hub.example", environ={})[1]  # no credentials, nothing to read


# ------------------------------------------------------------------------------------------------ bad values


@pytest.mark.parametrize("value", ["0", "-5", "abc", "nan", "inf", "-0.0"])
def test_a_bad_timeout_names_the_setting_it_came_from(value, tmp_path, monkeypatch):
    for source, kw in (("HUBTOP_TIMEOUT", {"environ": {"HUBTOP_TIMEOUT": value}}),
                       ("--timeout", {"timeout": value, "environ": {}})):
        with pytest.raises(HubError) as info:
            load(**kw)
        assert info.value.kind == "config"
        assert str(info.value) == f"{source} must be a positive number of seconds, not {value!r}"
    config = tmp_path / "config.toml"
    config.write_text(f"timeout = {value if value not in ('abc', 'nan', 'inf') else repr(value)}\n")
    monkeypatch.setenv("HUBTOP_CONFIG", str(config))
    with pytest.raises(HubError) as info:
        load(environ={})
    assert str(info.value).startswith(f"timeout in the config file {config} must be a positive number of seconds")


@pytest.mark.parametrize(("value", "size"), [("1MiB", 1 << 20), ("512 KiB", 512 << 10), ("2g", 2 << 30),
                                             ("268_435_456", 256 << 20)])
def test_the_body_cap_from_the_environment(value, size):
    assert load(environ={"HUBTOP_MAX_BODY": value})[0].max_body == size


@pytest.mark.parametrize("value", ["lots", "-1", "10", "1.5MiB"])
def test_a_bad_body_cap_is_one_clear_error(value):
    with pytest.raises(HubError, match=r"^HUBTOP_MAX_BODY must be "):
        load(environ={"HUBTOP_MAX_BODY": value})


# ------------------------------------------------------------------------------------------------ URLs


@pytest.mark.parametrize("url", [
    "http://admin:S3CR3T-pw@hub.example:5680",
    "https://admin@hub.example",
    "http://hub.example/api?access_token=S3CR3T-tok",
    "http://hub.example/api?Authorization=S3CR3T-tok",
    "http://admin:S3CR3T-pw@hub.example:99999",  # invalid, too: the error never echoes the credentials
])
def test_credentials_in_a_url_are_refused_never_repeated(url):
    with pytest.raises(HubError) as info:
        load(url=url, environ={})
    text = str(info.value)
    assert info.value.kind == "config" and text.startswith("--url ")
    assert "S3CR3T" not in text and "admin" not in text


# ------------------------------------------------------------------------------------------------ API keys


def test_an_encoded_key_is_kept_and_a_plain_one_is_encoded():
    assert load(api_key=ENCODED, environ={})[0].api_key.get_secret_value() == ENCODED
    assert load(environ={"HUBTOP_API_KEY": "key-id:key-S3CR3T-secret"})[0].api_key.get_secret_value() == ENCODED


@pytest.mark.parametrize("key", ["key-S3CR3T-secret", "a:b:S3CR3T", ":S3CR3T", "key:", "key: S3CR3T",
                                 base64.b64encode(b"no-colon-S3CR3T").decode(),
                                 base64.b64encode(b"a:b:S3CR3T").decode()])
def test_a_key_that_is_neither_is_refused_without_repeating_it(key):
    with pytest.raises(HubError) as info:
        load(environ={"HUBTOP_API_KEY": key})
    text = str(info.value)
    assert info.value.kind == "config" and text.startswith("HUBTOP_API_KEY is neither the encoded key")
    assert key not in text and "S3CR3T" not in text


# ------------------------------------------------------------------------------------------------ the config path


def load_in_a_thread(timeout: float = 5.0) -> BaseException | None:
    """``load()`` in a thread, so that a config read that blocks fails the test instead of hanging it."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            load(environ={})
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, "reading the config blocked"
    return outcome[0]


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_config_that_is_not_a_regular_file_is_refused(tmp_path, monkeypatch, kind):
    path = tmp_path / "config.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path = "/dev/null"  # (not /dev/zero: today's code would read it until memory ran out)
    monkeypatch.setenv("HUBTOP_CONFIG", str(path))
    try:
        err = load_in_a_thread()
    finally:
        if kind == "fifo":  # unblock a reader left waiting (today's code), so the thread can end
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
    assert isinstance(err, HubError) and err.kind == "config"
    what = {"fifo": "a FIFO", "device": "a device", "directory": "a directory"}[kind]
    assert str(err) == f"the config file {path} is {what}, not a regular file; hubtop reads only a file"
