"""The ZeroMQ synaptic bridge: how the UI, the CLI and operators reach the living image.

- :mod:`telos.bridge.protocol` — the contract, and the one import point for it
  (:mod:`~telos.bridge.messages`: constants and Pydantic models; :mod:`~telos.bridge.codec`:
  ``encode``/``decode``/``error_reply``)
- :mod:`telos.bridge.server`   — the service's ROUTER: socket loop, worker pool, limits, progress
- :mod:`telos.bridge.dispatch` — what handlers see: registry, request context, error classes
- :mod:`telos.bridge.client`   — the DEALER client (background thread, connection events)
- :mod:`telos.bridge.call`     — one request in flight on the client (thread-safe queue)
- :mod:`telos.bridge.authz`    — who asks (peer, role, CURVE server setup) and the audit log
- :mod:`telos.bridge.keys`     — CURVE key pairs and the client allow-list in ``TELOS_HOME``
- :mod:`telos.bridge.endpoints` — where the bridge listens (local socket by default)
"""
