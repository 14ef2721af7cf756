"""Schemathesis against the OpenAPI schema: generated requests, valid and not, to every operation, never get a
500 or a response that breaks the schema. (Driven through Hypothesis directly: schemathesis' pytest plugin
does not load under pytest 9.)"""

from contextlib import contextmanager

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from suiqian.accounts.scope import Scope
from suiqian.api.routes import api
from suiqian.api.services import create_token
from suiqian.conftest import county_values
from suiqian.divisions.models import Division
from suiqian.reporting.services import save_values
from suiqian.wsgi import application

EXAMPLES_PER_OPERATION = 8
# 422 is the API's documented answer to a well-formed request the domain refuses (an empty progress note, a
# case status that does not follow): the schema cannot say those. A 422 for a *schema-valid* request must then
# name no malformed field — `domain_refusals_only` holds the API to that.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}})


@schemathesis.check
def domain_refusals_only(ctx, response, case):
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    assert not body["errors"], f"a schema-valid request was refused as malformed: {body}"
    assert body["detail"], "a refusal without a reason"
    return None


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


def every_operation_id() -> set[str]:
    return {op["operationId"] for item in api.get_openapi_schema()["paths"].values() for op in item.values()}


def run_schemathesis(county_user, city_user):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.definition.raw["operationId"] for op in operations} == every_operation_id()
    assert len(operations) >= 30
    for user in (county_user, city_user):
        headers = {"Authorization": f"Bearer {create_token(user, 'schemathesis')[1]}"}
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(headers=headers, additional_checks=[domain_refusals_only])

            run()
