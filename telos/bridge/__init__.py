"""The ZeroMQ synaptic bridge: how the UI, the CLI and operators reach the living image.

- :mod:`telos.bridge.protocol` — the contract (Pydantic models, ``encode``/``decode``)
- :mod:`telos.bridge.server`   — the service's ROUTER, handler registry and worker pool
- :mod:`telos.bridge.client`   — the DEALER client (background thread, thread-safe queues)
- :mod:`telos.bridge.keys`     — CURVE key pairs and the client allow-list in ``TELOS_HOME``
- :mod:`telos.bridge.endpoints` — where the bridge listens (local socket by default)
"""
