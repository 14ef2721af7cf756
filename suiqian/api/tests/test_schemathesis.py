"""Schemathesis against the OpenAPI schema: generated requests, valid and not, never get a 500 or a
response that breaks the schema. (Driven through Hypothesis directly: schemathesis' pytest plugin
does not load under pytest 9.)"""

from contextlib import contextmanager

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from suiqian.accounts.scope import Scope
from suiqian.api.services import create_token
from suiqian.conftest import county_values
from suiqian.divisions.models import Division
from suiqian.reporting.services import save_values
from suiqian.wsgi import application

EXAMPLES_PER_OPERATION = 25


@contextmanager
def connections_kept_open():
    """Called straight through WSGI, Django would close the test's connection after each request
    (the test client disconnects these handlers for the same reason)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_api_holds_to_its_schema(summary_form, county_user, city_user):
    save_values(Scope.of(county_user), county_user, summary_form,
                Division.objects.get(code="140525", valid_to__isnull=True), county_values())
    with connections_kept_open():
        run_schemathesis(county_user, city_user)


def run_schemathesis(county_user, city_user):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for user in (county_user, city_user):
        headers = {"Authorization": f"Bearer {create_token(user, 'schemathesis')[1]}"}
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(headers=headers)

            run()
