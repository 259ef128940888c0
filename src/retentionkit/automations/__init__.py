"""Automations (docs/automations.md): "when X, after a delay, unless Y, then Z".

Rules live in the workspace (:mod:`.store`); the planner (:mod:`.planner`) derives due actions
from the data with a deterministic key and inserts only new keys into the outbox in the
transaction that records the planning run; the deliverer (:mod:`.deliverer`) claims due rows
under a lease, sends them over a channel (:mod:`.channels`: SMTP, signed webhook, log),
records every attempt and retries on :data:`.deliverer.RETRY_SCHEDULE`. :mod:`.report` measures
a rule's lift against its holdout group. Faces call :func:`.service.run` with a typed request.
"""
