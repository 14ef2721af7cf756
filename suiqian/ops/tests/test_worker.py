"""`suiqian worker` runs what pages and commands put on the database queue."""

import subprocess
import sys

import pytest
from django.db import connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from suiqian.divisions.models import Division

WRITTEN = []


@task()
def rename_unit(code: str, name: str) -> str:
    unit = Division.objects.get(code=code, valid_to__isnull=True)
    unit.name = name
    unit.save(update_fields=["name"])
    return unit.name


@task()
def fail_loudly() -> None:
    raise ValueError("出错了")


def test_it_runs_a_queued_task_and_keeps_its_result(shanxi, run_tasks):
    result = rename_unit.enqueue("140525", "泽州县（测试）")
    assert DBTaskResult.objects.get(id=result.id).status == "READY"

    run_tasks()

    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == "泽州县（测试）"
    assert Division.objects.get(code="140525", valid_to__isnull=True).name == "泽州县（测试）"


def test_it_records_a_failure_and_goes_on(shanxi, run_tasks):
    failing = fail_loudly.enqueue()
    renaming = rename_unit.enqueue("140521", "沁水县（测试）")

    run_tasks()

    failing.refresh()
    renaming.refresh()
    assert failing.status == "FAILED"
    assert "出错了" in failing.errors[0].traceback
    assert renaming.status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_command_exists_and_drains_the_queue_in_batch_mode(shanxi, settings):
    # A separate process, as `make demo` and production start it; the test database is shared through its file/URL.
    rename_unit.enqueue("140522", "阳城县（测试）")
    env_db = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{env_db}"
    else:
        s = connection.settings_dict
        url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{env_db}"
    done = subprocess.run(
        [sys.executable, "-m", "suiqian.cli", "worker", "--batch", "--no-startup-delay", "-v0"],
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(settings.BASE_DIR.parent),
             "SUIQIAN_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Division.objects.get(code="140522", valid_to__isnull=True).name == "阳城县（测试）"
