"""Background tasks of the notices app, run by `suiqian worker`."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from .queries import today_in_china
from .services import send_reminders


@task()
def send_reminders_task(day: str | None = None, window_days: int = 3) -> dict:
    """催报 as a task: the arguments and the result are JSON (the queue is a database table)."""
    today = dt.date.fromisoformat(day) if day else today_in_china()
    run = send_reminders(today, window_days=window_days)
    return {"date": today.isoformat(), "due_soon": run.due_soon, "overdue": run.overdue,
            "escalations": run.escalations}
