"""Helpers for the tests, in one place (importable as ``kit`` through pytest's ``pythonpath = ["tests"]``).

- :mod:`kit.wire`: server frames and records as JSON (``frame``, ``host_record``, ``vm_record``, ``sized_frame``),
  and exact envelopes for the parser tests (``wire``, ``event``, ``malformed``).
- :mod:`kit.hub`: :class:`~kit.hub.HubServer`, the Events Hub as one scripted aiohttp app, and its secrets.
- :mod:`kit.raw`: :class:`~kit.raw.RawHub` (a frame-level ``websockets`` server), :class:`~kit.raw.SilentServer`,
  ``free_port``.
- :mod:`kit.threads`: :class:`~kit.threads.ServerThread`, any of those servers in a thread of its own.
- :mod:`kit.hostile`: :class:`~kit.hostile.HostileHub`, a hub whose endpoints a test replaces, and its handlers.
- :mod:`kit.wait`: ``wait_until``, the one poller (:func:`kit.app.wait_for` is it with a pilot's pause).
- :mod:`kit.client`: the client side: ``fast_settings``, ``client_for``, :class:`~kit.client.Collector`, ``Tee``,
  ``running``, ``feeding`` (a client feeding a Feed), ``connected`` (a feed's), and what to check of a feed.
- :mod:`kit.sim`: ``simulator(...)``, the one way to serve a simulator in a test (``quiet_simulator``: the fault
  tests' preset), ``RecordedSimulator`` and ``SimRecorder``, ``settings_for``, a model against the world.
- :mod:`kit.simwire`: the simulator's own tests: ``served`` (their preset), raw WebSocket and REST calls.
- :mod:`kit.app`: the app under a Pilot: ``wait_for``, ``screen_text``, ``static_text``, ``seeded_app``.
- :mod:`kit.cli`: the ``hubtop`` command in a subprocess: ``hubtop``, ``spawn``, ``finish``, ``cli_env``,
  ``accepted`` (the simulator took the CLI's subscription), ``cli_simulator`` (the CLI tests' preset),
  ``no_config`` (for ``tui.cli.main`` in-process).
- :mod:`kit.tls`: one test CA (``ca()``) and the contexts and files made from it.
- :mod:`kit.leaks`: the security tests' secrets, what hubtop may ask of a server, where to look for a leak.
- :mod:`kit.model`: events and records as the model gets them, and the cluster tests' model (``two_hosts``).
- :mod:`kit.fastparse`: the one-pass parser checked against the two-pass one (``check``).
- :mod:`kit.payloads`: hostile text, and a hub that puts it everywhere.
"""
