"""Notification rules (tui/model/alerts.py) over a real model fed parsed frames, and the terminal sequences
they and the copy key write (tui/model/osc.py)."""

from __future__ import annotations

import base64
import itertools
import json

import pytest

from tui.live.feed import Feed
from tui.model.alerts import AlertConfig, AlertKind, Alerts
from tui.model.cluster import Cluster
from tui.model.osc import COPY_LIMIT, osc9, osc52, osc777, tmux_passthrough
from tui.protocol.items import Snapshot
from tui.protocol.parse import parse_frame
from tui.protocol.records import HostRecord
from tui.protocol.text import is_clean

_n = itertools.count(1)
HOSTS = [f"{i:02d}" + "0" * 30 for i in range(8)]


def record(hid: str, state: str = "healthy", link: bool = True) -> HostRecord:
    return HostRecord.model_validate({"id": hid, "host": f"http://mac-{hid[:2]}.local/api", "state": state,
                                      "has_websocket_events": link})


def frame(message: str, body: dict, channel: str = "orchestrator") -> str:
    n = next(_n)
    return json.dumps({"id": f"e{n}", "event_type": channel, "message": message, "body": body,
                       "timestamp": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z"})


def health(hid: str, state: str) -> str:
    return frame("HOST_HEALTH_UPDATE", {"host_id": hid, "state": state})


def link(hid: str, up: bool) -> str:
    message = "HOST_WEBSOCKET_CONNECTED" if up else "HOST_WEBSOCKET_DISCONNECTED"
    return frame(message, {"host_id": hid, "state": "websocket_connected" if up else "websocket_disconnected"})


def job(state: str, updated: str, **extra) -> str:
    body = {"id": "job-1", "state": state, "job_type": "catalog", "job_operation": "pull", "progress": 40,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": updated, **extra}
    return frame("JOB_UPDATED", body, channel="job_manager")


@pytest.fixture
def feed() -> Feed:
    f = Feed(Cluster())
    f.handle(Snapshot([record(HOSTS[0]), record(HOSTS[1], state="unhealthy"), record(HOSTS[2], link=False)], []))
    return f


def deliver(feed: Feed, *frames: str) -> None:
    feed.many([parse_frame(f) for f in frames])


def test_nothing_for_the_initial_snapshot_then_a_host_turning_unhealthy(feed):
    alerts = Alerts()
    assert alerts.check(feed.cluster, 0.0) == []
    assert alerts.check(feed.cluster, 1.0) == []
    deliver(feed, health(HOSTS[0], "unhealthy"))
    (alert,) = alerts.check(feed.cluster, 2.0)
    assert alert.kind is AlertKind.UNHEALTHY and alert.host_id == HOSTS[0]
    assert alert.text == "mac-00.local turned unhealthy" and alert.severity == "error"
    assert alerts.check(feed.cluster, 3.0) == []
    # a repeat of the same state is not news; a host already unhealthy at start never alerts for it
    deliver(feed, health(HOSTS[0], "unhealthy"), health(HOSTS[1], "unhealthy"))
    assert alerts.check(feed.cluster, 4.0) == []


def test_nothing_for_a_resync_snapshot(feed):
    alerts = Alerts()
    alerts.check(feed.cluster, 0.0)
    feed.handle(Snapshot([record(HOSTS[0], state="unhealthy", link=False), record(HOSTS[3], state="unhealthy")], [],
                         down_since=-5.0, reason="the feed dropped"))
    assert alerts.check(feed.cluster, 1.0) == []
    assert alerts.check(feed.cluster, 500.0) == []  # a link found down by a listing is no timer either
    feed.handle(Snapshot([record(HOSTS[3]), record(HOSTS[4], state="unhealthy")], [], resync="a contradiction",
                         since=0.0))
    assert alerts.check(feed.cluster, 501.0) == []


def test_a_link_lost_for_longer_than_the_grace_period(feed):
    alerts = Alerts(AlertConfig(link_lost_after=30))
    alerts.check(feed.cluster, 0.0)
    deliver(feed, link(HOSTS[0], up=False))
    assert alerts.check(feed.cluster, 10.0) == []
    assert alerts.check(feed.cluster, 39.0) == []
    (alert,) = alerts.check(feed.cluster, 40.0)
    assert alert.kind is AlertKind.LINK_LOST and "link disconnected for 30s" in alert.text
    assert alert.severity == "warning"
    assert alerts.check(feed.cluster, 100.0) == []  # told once


def test_a_link_back_within_the_grace_period_is_not_news(feed):
    alerts = Alerts(AlertConfig(link_lost_after=30))
    alerts.check(feed.cluster, 0.0)
    deliver(feed, link(HOSTS[0], up=False))
    alerts.check(feed.cluster, 5.0)
    deliver(feed, link(HOSTS[0], up=True))
    assert alerts.check(feed.cluster, 6.0) == []
    assert alerts.check(feed.cluster, 100.0) == []


def test_a_job_failing(feed):
    alerts = Alerts()
    alerts.check(feed.cluster, 0.0)
    deliver(feed, job("running", "2026-01-01T00:00:01Z"))
    assert alerts.check(feed.cluster, 1.0) == []
    deliver(feed, job("failed", "2026-01-01T00:00:02Z", error="download: connection reset"))
    (alert,) = alerts.check(feed.cluster, 2.0)
    assert alert.kind is AlertKind.JOB_FAILED and alert.text == "catalog pull: download: connection reset"
    assert alerts.check(feed.cluster, 3.0) == []


def test_each_kind_can_be_turned_off(feed):
    alerts = Alerts(AlertConfig(unhealthy=False, link_lost=False, job_failed=False, link_lost_after=0))
    alerts.check(feed.cluster, 0.0)
    deliver(feed, health(HOSTS[0], "unhealthy"), link(HOSTS[0], up=False),
            job("failed", "2026-01-01T00:00:02Z"))
    assert alerts.check(feed.cluster, 1.0) == [] and alerts.check(feed.cluster, 100.0) == []


def test_a_flapping_host_alerts_once_per_cooldown(feed):
    alerts = Alerts(AlertConfig(cooldown=60))
    alerts.check(feed.cluster, 0.0)
    deliver(feed, health(HOSTS[0], "unhealthy"))
    assert len(alerts.check(feed.cluster, 1.0)) == 1
    deliver(feed, health(HOSTS[0], "healthy"))
    alerts.check(feed.cluster, 2.0)
    deliver(feed, health(HOSTS[0], "unhealthy"))
    assert alerts.check(feed.cluster, 3.0) == []
    deliver(feed, health(HOSTS[0], "healthy"))
    alerts.check(feed.cluster, 70.0)
    deliver(feed, health(HOSTS[0], "unhealthy"))
    assert len(alerts.check(feed.cluster, 71.0)) == 1


def test_a_burst_becomes_one_summary():
    feed = Feed(Cluster())
    feed.handle(Snapshot([record(h) for h in HOSTS], []))
    alerts = Alerts()
    alerts.check(feed.cluster, 0.0)
    deliver(feed, *(health(h, "unhealthy") for h in HOSTS))
    (alert,) = alerts.check(feed.cluster, 1.0)
    assert alert.count == 8 and alert.text.startswith("8 hosts turned unhealthy: mac-00.local, mac-01.local")


def test_alert_text_from_the_server_is_safe(feed):
    evil = "\x1b]0;owned\x07evil\u202e"
    feed.handle(Snapshot([record(HOSTS[0]).model_copy(update={"host": "", "description": evil})], []))
    alerts = Alerts()
    alerts.check(feed.cluster, 0.0)
    deliver(feed, health(HOSTS[0], "unhealthy"), job("failed", "2026-01-01T00:00:09Z", error=evil, job_type=evil))
    found = alerts.check(feed.cluster, 1.0)
    assert len(found) == 2
    for alert in found:
        assert is_clean(alert.title) and is_clean(alert.text)
        for seq in (alert.osc9(), alert.osc777()):
            assert seq.count("\x1b") == 1 and seq.count("\x07") == 1 and "\u202e" not in seq


def test_config_from_the_profile():
    assert AlertConfig.from_profile({}) == (AlertConfig(), [])
    config, warnings = AlertConfig.from_profile({"notify": {"unhealthy": False, "link_lost_after": 120}})
    assert config == AlertConfig(unhealthy=False, link_lost_after=120.0) and warnings == []
    off, _ = AlertConfig.from_profile({"notify": False})
    assert not (off.unhealthy or off.link_lost or off.job_failed)
    config, warnings = AlertConfig.from_profile({"notify": {"job_failed": "yes", "link_lost_after": -1,
                                                            "cooldown": float("nan"), "bell\x1b": 1}})
    assert config == AlertConfig() and len(warnings) == 4 and all(is_clean(w) for w in warnings)
    assert AlertConfig.from_profile({"notify": "loud"})[1]


# ------------------------------------------------------------------ the sequences


def test_notification_sequences():
    assert osc9("host down") == "\x1b]9;host down\x07"
    assert osc777("hubtop; alert", "mac-01 turned unhealthy") == "\x1b]777;notify;hubtop, alert;mac-01 turned unhealthy\x07"
    assert osc9("4;100") == "\x1b]9; 4;100\x07"  # not a ConEmu progress command
    evil = "a\x07\x1b]52;c;aGk=\x1b\\b\x9c"
    for seq in (osc9(evil), osc777(evil, evil)):
        assert seq.count("\x1b") == 1 and seq.count("\x07") == 1 and "\x9c" not in seq
    assert len(osc9("x" * 10_000)) < 300


def test_tmux_passthrough():
    assert tmux_passthrough("\x1b]9;hi\x07") == "\x1bPtmux;\x1b\x1b]9;hi\x07\x1b\\"


def test_copy_through_osc52():
    clip = osc52("f3a9c0de-1234")
    assert clip.ok and clip.text == "f3a9c0de-1234"
    assert clip.sequence == "\x1b]52;c;" + base64.b64encode(b"f3a9c0de-1234").decode() + "\x07"
    # control characters are data: their visible stand-ins are copied, never the characters
    clip = osc52("vm\x1b]0;x\x07name")
    assert "\x1b" not in base64.b64decode(clip.sequence[7:-1]).decode() and is_clean(clip.text)
    assert clip.sequence.count("\x1b") == 1
    refused = osc52("x" * (COPY_LIMIT + 1))
    assert not refused.ok and "too long" in refused.why and is_clean(refused.text)
    assert not osc52("").ok and not osc52(None).ok
