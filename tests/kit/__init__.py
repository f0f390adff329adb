"""Helpers for the tests, in one place (importable as ``kit`` through pytest's ``pythonpath = ["tests"]``).

- :mod:`kit.wire`: server frames and records as JSON (``frame``, ``host_record``, ``vm_record``, ``sized_frame``),
  and exact envelopes for the parser tests (``wire``).
- :mod:`kit.hub`: :class:`~kit.hub.HubServer`, the Events Hub as one scripted aiohttp app, and its secrets.
- :mod:`kit.raw`: :class:`~kit.raw.RawHub` (frame-level ``websockets`` server), :class:`~kit.raw.SilentServer`,
  ``free_port``.
- :mod:`kit.threads`: :class:`~kit.threads.ServerThread`, any of those servers in a thread of its own.
- :mod:`kit.wait`: ``wait_until``, the one poller.
- :mod:`kit.client`: the client side: ``fast_settings``, :class:`~kit.client.Collector`, ``Tee``, ``running``,
  ``feeding`` (a client feeding a Feed), ``connected`` and what to check of a feed.
- :mod:`kit.sim`: ``simulator(...)``, the one way to serve a simulator in a test, and ``SimRecorder``.
- :mod:`kit.simwire`: raw WebSocket and REST calls to the simulator, for its own tests.
- :mod:`kit.app`: the app under a Pilot: ``settings_for``, ``wait_for``, ``screen_text``, ``seeded_app``.
- :mod:`kit.cli`: ``hubtop(...)`` in a subprocess: ``spawn``, ``finish``, ``cli_env``, ``accepted``.
- :mod:`kit.tls`: one test CA (``ca()``) and the contexts and files made from it.
- :mod:`kit.model`: events and records as the model gets them (cluster tests).
- :mod:`kit.fastparse`: the one-pass parser checked against the two-pass one.
- :mod:`kit.hostile` and :mod:`kit.payloads`: a hub whose endpoints a test replaces, and hostile text.
"""
