"""Writes of the platform every app stands on, one module per concern:

- ``audit``: the audit log and how an actor is named;
- ``people``: users and their roles in consultancies and clients;
- ``tenants``: consultancies and clients;
- ``api_keys``: partner keys, their authentication and the limit on failed attempts;
- ``dirty_marks``: marking a client's computed results stale and dispatching the recompute;
- ``idempotency``: replaying a retried request's first response;
- ``jobs``: long work as ``Job`` rows, run by Celery tasks the apps above register.

Each function takes keyword arguments, owns its transaction and, where it changes what people
may see or do, records who did it. ``actor`` is the acting principal, or None for the operator
at the command line.
"""
