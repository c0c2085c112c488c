"""Changes made by a Celery job are recorded as made by it (`job`: the task's name) in the audit trail."""

import pghistory
from celery import signals

_open: dict[str, pghistory.context] = {}


@signals.task_prerun.connect(weak=False)
def _enter(task_id=None, task=None, **_signal):
    # An eager task runs inside the request that queued it: its changes are that request's, and stay so.
    if task is None or task.request.is_eager:
        return
    context = pghistory.context(job=task.name)
    context.__enter__()
    _open[task_id] = context


@signals.task_postrun.connect(weak=False)
def _exit(task_id=None, **_signal):
    context = _open.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
