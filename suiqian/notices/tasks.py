"""Background tasks of the notices app, run by `suiqian worker`. Arguments and results are JSON: the queue is
a database table."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from . import deadlines
from .queries import today_in_china


@task()
def send_reminders_task(day: str | None = None, window_days: int = 3) -> dict:
    """催报 as a task."""
    today = dt.date.fromisoformat(day) if day else today_in_china()
    run = deadlines.send_reminders(today, window_days=window_days)
    return {"date": today.isoformat(), "due_soon": run.due_soon, "overdue": run.overdue,
            "escalations": run.escalations}
