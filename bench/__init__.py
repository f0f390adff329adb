"""hubtop's benchmark suite: ``python -m bench NAME`` (or ``all``). See bench/README.md.

Every benchmark drives the real code (HubClient, Feed, the Textual app in ``run_test``) with load from real
sockets on 127.0.0.1, sent by a load generator in a child process, and prints its figures beside a baseline
measured in the same run. Benchmarks are not tests: nothing here asserts on time.
"""
