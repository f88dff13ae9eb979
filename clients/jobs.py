"""Which Celery task runs which kind of job.

``clients`` owns the ``Job`` row, the dispatcher and the sweeper, but the work itself belongs to
the apps above it (``plans`` recomputes scorecards, ``diagnostics`` scores runs). Each registers
its task for its kinds in ``AppConfig.ready``, so ``clients`` can enqueue a job without importing
them (DESIGN.md: a lower app offers a registry rather than importing a higher one).
"""

from __future__ import annotations

RUNNERS: dict[str, object] = {}  # job kind -> Celery task taking the job id
DIRTY_KIND = "recompute"  # the kind the dispatcher makes of a dirty mark


def register(kind: str, task) -> None:
    RUNNERS[kind] = task


def runner(kind: str):
    try:
        return RUNNERS[kind]
    except KeyError:
        raise LookupError(f"No task is registered for jobs of kind {kind!r}.") from None
