"""Secrets and trust at the command line (``tui.cli.main`` in-process): an untrusted certificate said in one line,
``--ca-file`` and ``--insecure``, a config file with a secret others can read refused, ``--token`` working but
warned of; no secret in any output."""

from __future__ import annotations

import json
import stat

import pytest
from kit import tls
from kit.cli import no_config
from kit.hub import HubServer, standard_world
from kit.leaks import (
    TOKEN,
    tls_server,
)
from kit.raw import free_port
from kit.threads import ServerThread
from kit.wire import HOST_A

pytestmark = pytest.mark.timeout(60)


def test_the_cli_says_it_in_one_line(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
    with ServerThread(tls_server()) as hub:
        for command in (["status"], ["tail", "--count", "1"]):
            code = main([*command, "--url", hub.url])
            out, err = capsys.readouterr()
            assert code == 3 and out == ""
            lines = err.splitlines()
            assert len(lines) == 1, err
            assert lines[0].startswith(f"hubtop: TLS certificate of {hub.url} is not trusted")
            assert "--ca-file" in lines[0] and "--insecure" in lines[0]
            assert TOKEN not in err


def test_the_cli_with_ca_file_or_insecure(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
    ca_file = tls.ca_file(tmp_path)
    with ServerThread(tls_server()) as hub:
        for flags in (["--ca-file", str(ca_file)], ["--insecure"]):
            code = main(["status", "--json", "--url", hub.url, *flags])
            out, err = capsys.readouterr()
            assert code == 2, err  # the standard world has an unhealthy host: CRITICAL, but it connected
            assert {h["id"] for h in json.loads(out)["hosts"]} >= {HOST_A}
        monkeypatch.setenv("HUBTOP_INSECURE", "1")
        assert main(["status", "--url", hub.url]) == 2
        capsys.readouterr()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_config_file_with_a_secret_readable_by_others_is_refused(tmp_path, monkeypatch, capsys, mode):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'url = "http://127.0.0.1:{free_port()}"\ntoken = "{TOKEN}"\n')
    cfg.chmod(mode)
    monkeypatch.setenv("HUBTOP_CONFIG", str(cfg))
    assert stat.S_IMODE(cfg.stat().st_mode) == mode
    assert main(["status"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "holds a secret but other users can read it" in err and f"chmod 600 {cfg}" in err
    assert TOKEN not in out + err


def test_token_on_the_command_line_works_but_warns(monkeypatch, capsys, tmp_path):
    from tui.cli import main

    no_config(monkeypatch, tmp_path)
    with ServerThread(HubServer(token=TOKEN)) as hub:
        standard_world(hub)
        code = main(["status", "--url", hub.url, "--token", TOKEN])
        out, err = capsys.readouterr()
        assert code == 2  # connected: an unhealthy host in the standard world
        assert hub.attempts[0].headers["Authorization"] == f"Bearer {TOKEN}"
        assert "--token on the command line is visible to other users" in err
        assert "HUBTOP_TOKEN" in err
        assert TOKEN not in out + err
        # from the environment: no warning
        monkeypatch.setenv("HUBTOP_TOKEN", TOKEN)
        assert main(["status", "--url", hub.url]) == 2
        assert "--token" not in capsys.readouterr().err
