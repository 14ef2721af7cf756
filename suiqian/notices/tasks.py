"""Background tasks of the notices app, run by `suiqian worker`."""

from django_tasks import task

from . import services


@task()
def check_submission(submission_id: int) -> str:
    """The policy check of a large 实施细则 upload, away from the request that stored it."""
    return services.finish_check(submission_id).check_status
