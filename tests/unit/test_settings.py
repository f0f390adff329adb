"""Settings: URL normalisation, channels, flags > env > config-file profile > defaults, file permissions, SecretStr."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest

from tui.protocol.errors import HubError
from tui.protocol.models import CHANNELS, DEFAULT_CHANNELS
from tui.settings import (
    DEFAULT_URL,
    SecretStr,
    Settings,
    build_settings,
    config_path,
    load_profile,
    normalise_url,
    parse_channels,
)


def settings_of(**kw) -> Settings:
    """The settings :func:`build_settings` makes, without its warnings."""
    return build_settings(**kw).settings

# ------------------------------------------------------------------------------------------------ URLs


@pytest.mark.parametrize(("url", "api", "ws"), [
    ("http://hub.example", "http://hub.example/api", "ws://hub.example/api"),
    ("https://hub.example:8443", "https://hub.example:8443/api", "wss://hub.example:8443/api"),
    ("hub.example:5680", "http://hub.example:5680/api", "ws://hub.example:5680/api"),
    ("  http://hub.example:5680/  ", "http://hub.example:5680/api", "ws://hub.example:5680/api"),
    ("http://hub.example/devops/api/", "http://hub.example/devops/api", "ws://hub.example/devops/api"),
    ("http://hub.example/custom", "http://hub.example/custom", "ws://hub.example/custom"),
    ("HTTPS://Hub.EXAMPLE", "https://hub.example/api", "wss://hub.example/api"),
    ("ws://hub.example:80", "http://hub.example:80/api", "ws://hub.example:80/api"),
    ("wss://hub.example", "https://hub.example/api", "wss://hub.example/api"),
    ("http://[::1]:5680", "http://[::1]:5680/api", "ws://[::1]:5680/api"),
    ("http://127.0.0.1:5680?x=1#frag", "http://127.0.0.1:5680/api", "ws://127.0.0.1:5680/api"),
])
def test_normalise_url(url, api, ws):
    assert normalise_url(url) == (api, ws)


def test_credentials_in_the_url_are_refused_never_repeated():
    with pytest.raises(HubError) as info:
        normalise_url("https://admin:hunter2@hub.example/api")
    assert info.value.kind == "config" and "hunter2" not in str(info.value) and "admin" not in str(info.value)


@pytest.mark.parametrize("url", ["ftp://hub.example", "", "http://", "http://hub:99999", "http://hub:port"])
def test_bad_urls_are_config_errors(url):
    with pytest.raises(HubError) as info:
        normalise_url(url)
    assert info.value.kind == "config"
    assert "http(s)://host" in str(info.value) or "URL" in str(info.value)


def test_settings_urls():
    s = Settings(url="https://hub.example:8443")
    assert s.api_base == "https://hub.example:8443/api"
    assert s.ws_base == "wss://hub.example:8443/api"
    assert s.display_url == "https://hub.example:8443"
    assert s.server_hostname == "hub.example"
    assert Settings(url="http://h/devops").display_url == "http://h/devops"
    assert Settings().api_base == DEFAULT_URL + "/api"


def test_subscribe_url():
    s = Settings(url="http://h:5680")
    assert s.subscribe_url() == "ws://h:5680/api/v1/ws/subscribe?event_types=orchestrator,health"
    assert s.subscribe_url(("global", "pdfm")) == "ws://h:5680/api/v1/ws/subscribe?event_types=pdfm"


def test_subscribe_url_for_global_only():
    """A user who removed every channel reconnects with global only, not with the channels of the settings."""
    s = Settings(url="http://h:5680", channels=("orchestrator", "health"))
    assert s.subscribe_url(()) == "ws://h:5680/api/v1/ws/subscribe?event_types=global"
    assert s.subscribe_url(("global",)) == "ws://h:5680/api/v1/ws/subscribe?event_types=global"


# ------------------------------------------------------------------------------------------------ channels


def test_parse_channels():
    assert parse_channels(None) == DEFAULT_CHANNELS == ("orchestrator", "health")
    assert parse_channels("orchestrator, Health ,PDFM") == ("orchestrator", "health", "pdfm")
    assert parse_channels("pdfm,pdfm,,pdfm") == ("pdfm",)
    assert parse_channels(["System_Logs", "job_manager"]) == ("system_logs", "job_manager")
    assert parse_channels("") == ()
    assert set(parse_channels(",".join(CHANNELS))) == set(CHANNELS)


@pytest.mark.parametrize("value", ["orchestrator,vm", ["bogus"], "host", ["pdfm", 7]])
def test_unknown_channels_are_refused(value):
    with pytest.raises(HubError) as info:
        parse_channels(value)
    assert info.value.kind == "config"
    assert "unknown channel" in str(info.value) and "orchestrator" in str(info.value)


# ------------------------------------------------------------------------------------------------ precedence


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """Write a config file (mode 0600) and point HUBTOP_CONFIG at it."""
    path = tmp_path / "hubtop" / "config.toml"
    path.parent.mkdir()
    monkeypatch.setenv("HUBTOP_CONFIG", str(path))

    def write(text: str, mode: int = 0o600) -> Path:
        path.write_text(text, encoding="utf-8")
        os.chmod(path, mode)
        return path

    write.path = path  # type: ignore[attr-defined]
    return write


def test_defaults_without_anything(cfg):
    s, warnings = build_settings(environ={})
    assert (s.url, s.token, s.api_key, s.user, s.password) == (DEFAULT_URL, None, None, None, None)
    assert s.channels == DEFAULT_CHANNELS and s.insecure is False and s.ca_file is None and s.timeout == 10.0
    assert not warnings


PROFILE = """
url = "http://from-file:1"
token = "file-token"
api_key = "ZmlsZTprZXk="  # base64 of file:key, as the server hands it out
user = "file-user"
password = "file-password"
channels = ["pdfm"]
insecure = true
ca_file = "/file/ca.pem"
timeout = 3
"""

ENV = {"HUBTOP_URL": "http://from-env:2", "HUBTOP_TOKEN": "env-token", "HUBTOP_API_KEY": "ZW52OmtleQ==",
       "HUBTOP_USER": "env-user", "HUBTOP_PASSWORD": "env-password", "HUBTOP_CHANNELS": "stats,auth",
       "HUBTOP_INSECURE": "0", "HUBTOP_CA_FILE": "/env/ca.pem", "HUBTOP_TIMEOUT": "4.5"}


def test_config_file_over_defaults(cfg):
    cfg(PROFILE)
    s = settings_of(environ={})
    assert s.url == "http://from-file:1"
    assert (s.token.get_secret_value(), s.api_key.get_secret_value(), s.user, s.password.get_secret_value()) == (
        "file-token", "ZmlsZTprZXk=", "file-user", "file-password")
    assert (s.channels, s.insecure, s.ca_file, s.timeout) == (("pdfm",), True, "/file/ca.pem", 3.0)


def test_env_over_config_file(cfg):
    cfg(PROFILE)
    s = settings_of(environ=ENV)
    assert s.url == "http://from-env:2"
    assert (s.token.get_secret_value(), s.api_key.get_secret_value(), s.user, s.password.get_secret_value()) == (
        "env-token", "ZW52OmtleQ==", "env-user", "env-password")
    assert (s.channels, s.ca_file, s.timeout) == (("stats", "auth"), "/env/ca.pem", 4.5)
    assert s.insecure is False  # HUBTOP_INSECURE=0 wins over the file's true


def test_flags_over_env(cfg):
    cfg(PROFILE)
    s, warnings = build_settings(url="http://from-flag:3", token="flag-token", api_key="flag:key",
                                 user="flag-user", channels="global,health", insecure=True, ca_file="/flag/ca.pem",
                                 timeout=7, token_from_flag=True, environ=ENV)
    assert s.url == "http://from-flag:3"
    assert (s.token.get_secret_value(), s.api_key.get_secret_value(), s.user) == ("flag-token", "ZmxhZzprZXk=", "flag-user")  # encoded by hubtop
    assert (s.channels, s.insecure, s.ca_file, s.timeout) == (("global", "health"), True, "/flag/ca.pem", 7.0)
    assert s.password.get_secret_value() == "env-password"  # there is no password flag
    assert any("process list" in w for w in warnings)


def test_named_and_default_profiles(cfg):
    cfg('default_profile = "lab"\n'
        '[profiles.lab]\nurl = "http://lab:1"\n'
        '[profiles.prod]\nurl = "https://prod:8443"\nchannels = "orchestrator"\n')
    assert settings_of(environ={}).url == "http://lab:1"
    s = settings_of(profile="prod", environ={})
    assert (s.url, s.channels) == ("https://prod:8443", ("orchestrator",))
    with pytest.raises(HubError, match="no profile 'staging'"):
        settings_of(profile="staging", environ={})


def test_profile_asked_for_without_a_file(cfg):
    assert load_profile() == {}
    with pytest.raises(HubError, match="no config file"):
        settings_of(profile="prod", environ={})


def test_broken_config_file(cfg):
    cfg("url = [unterminated")
    with pytest.raises(HubError) as info:
        settings_of(environ={})
    assert info.value.kind == "config" and "config file" in str(info.value)


def test_bad_values(cfg):
    with pytest.raises(HubError, match="HUBTOP_TIMEOUT must be a positive number of seconds"):
        settings_of(environ={"HUBTOP_TIMEOUT": "soon"})
    with pytest.raises(HubError, match="unknown channel"):
        settings_of(environ={"HUBTOP_CHANNELS": "orchestrator,nope"})
    with pytest.raises(HubError, match="URL"):
        settings_of(url="ftp://x", environ={})


def test_password_prompt_only_when_needed(cfg):
    asked: list[str] = []

    def prompt(user: str) -> str:
        asked.append(user)
        return "typed"

    s = settings_of(user="alice", environ={}, password_prompt=prompt)
    assert asked == ["alice"] and s.password.get_secret_value() == "typed"
    s = settings_of(user="alice", environ={"HUBTOP_PASSWORD": "from-env"}, password_prompt=prompt)
    assert asked == ["alice"] and s.password.get_secret_value() == "from-env"
    settings_of(environ={}, password_prompt=prompt)
    assert asked == ["alice"]


def test_config_path(monkeypatch, tmp_path):
    monkeypatch.delenv("HUBTOP_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "hubtop" / "config.toml"
    monkeypatch.setenv("HUBTOP_CONFIG", str(tmp_path / "x.toml"))
    assert config_path() == tmp_path / "x.toml"


# ------------------------------------------------------------------------------------------------ permissions


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666, 0o601])
@pytest.mark.parametrize("key", ["token", "api_key", "password"])
def test_a_file_with_a_secret_must_be_private(cfg, mode, key):
    path = cfg(f'url = "http://h:1"\n{key} = "S3CR3T-value"\n', mode)
    with pytest.raises(HubError) as info:
        settings_of(environ={})
    text = str(info.value)
    assert info.value.kind == "config"
    assert f"chmod 600 {path}" in text and "S3CR3T" not in text


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_private_file_with_a_secret_is_fine(cfg, mode):
    cfg('token = "S3CR3T-value"\n', mode)
    assert settings_of(environ={}).token.get_secret_value() == "S3CR3T-value"


def test_a_readable_file_without_a_secret_is_fine(cfg):
    cfg('url = "http://h:1"\nuser = "alice"\n', 0o644)
    assert settings_of(environ={"HUBTOP_PASSWORD": "x"}).url == "http://h:1"


def test_a_secret_in_another_profile_still_counts(cfg):
    """The file holds a secret whichever profile is used: other users can read it all the same."""
    cfg('[profiles.dev]\nurl = "http://dev:1"\n[profiles.prod]\nurl = "http://prod:1"\ntoken = "S3CR3T"\n', 0o644)
    with pytest.raises(HubError, match="chmod 600"):
        settings_of(profile="dev", environ={})


# ------------------------------------------------------------------------------------------------ SecretStr


def test_secret_never_prints_itself():
    s = SecretStr("S3CR3T-value")
    for text in (str(s), repr(s), f"{s}", f"{s!r}", "%s" % (s,), format(s), str([s]), str({"k": s}),  # noqa: UP031
                 repr(Settings(token=s, api_key=SecretStr("S3CR3T-value"), password=SecretStr("S3CR3T-value")))):
        assert "S3CR3T" not in text
    assert s.get_secret_value() == "S3CR3T-value"
    assert bool(s) and not SecretStr("")
    assert s == SecretStr("S3CR3T-value") and s != SecretStr("other") and s != "S3CR3T-value"


def test_has_credentials():
    assert not Settings().has_credentials()
    assert Settings(token=SecretStr("t")).has_credentials()
    assert Settings(api_key=SecretStr("k")).has_credentials()
    assert not Settings(user="u").has_credentials()
    assert Settings(user="u", password=SecretStr("p")).has_credentials()


# ------------------------------------------------------------------------------------------------ TLS


def test_tls_is_verified_by_default():
    for url in ("wss://hub.example:8443", "https://hub.example:8443"):
        s = Settings(url=url)
        assert s.api_base.startswith("https://") and s.ws_base.startswith("wss://")
        ctx = s.ssl_context()
        assert ctx is not None and ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname
    assert Settings(url="http://hub.example").ssl_context() is None


def test_ssl_context(tmp_path):
    assert Settings(url="http://h").ssl_context() is None
    ctx = Settings(url="https://h").ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    ctx = Settings(url="https://h", insecure=True).ssl_context()
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    with pytest.raises(HubError) as info:
        Settings(url="https://h", ca_file=str(tmp_path / "missing.pem")).ssl_context()
    assert info.value.kind == "config" and "CA file" in str(info.value)


def test_journal_size_from_the_file_and_the_environment(cfg):
    assert settings_of(environ={}).journal_size == 10_000
    cfg(PROFILE + "journal_size = 50000\n")
    assert settings_of(environ={}).journal_size == 50_000
    assert settings_of(environ={"HUBTOP_JOURNAL_SIZE": "2_000"}).journal_size == 2_000


@pytest.mark.parametrize("bad", ["0", "-5", "99", "1000001", "lots", "1.5"])
def test_a_bad_journal_size_is_one_clear_error(cfg, bad):
    with pytest.raises(HubError, match=r"journal_size \(HUBTOP_JOURNAL_SIZE\) must be a whole number"):
        settings_of(environ={"HUBTOP_JOURNAL_SIZE": bad})
