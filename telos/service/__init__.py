"""The service (issue 5): one process under supervisord that serves the living image.

- :mod:`telos.service.process`    — ``Service``: image through ZEO, bridge, maintenance, signals
- :mod:`telos.service.handlers`   — one bridge handler per request command
- :mod:`telos.service.responder`  — who answers USER_QUERY_REQUEST (orchestrator, LLM, injected)
- :mod:`telos.service.status`     — the status board behind STATUS_REQUEST and /health
- :mod:`telos.service.metrics`    — Prometheus metrics and the health endpoint (loopback)
- :mod:`telos.service.supervisor` — supervisord.conf / zeo.conf generation, supervisorctl wrappers
"""
