"""The forms API: same rules as the pages, same scope, same locking."""

import json

import pytest

from suiqian.api.services import create_token, revoke_token
from suiqian.conftest import county_values

BASE = "/api/v1/forms/summary-2021/reports/140525"


@pytest.fixture
def county_key(county_user):
    return create_token(county_user, "县业务系统")[1]


@pytest.fixture
def city_key(city_user):
    return create_token(city_user, "市业务系统")[1]


def call(client, method, url, key, body=None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if method == "get":
        return client.get(url, **auth)
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json", **auth)


def test_a_county_saves_submits_and_the_city_approves_then_it_is_locked(client, summary_form, county_key, city_key):
    response = call(client, "put", BASE + "/values", county_key, {"values": county_values()})
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert call(client, "post", BASE + "/submit", county_key).json()["status_label"] == "已上报"
    assert call(client, "post", BASE + "/approve", county_key).status_code == 403
    assert call(client, "post", BASE + "/approve", city_key).json()["status"] == "approved"
    response = call(client, "put", BASE + "/values", county_key, {"values": {"gaokao_applicants": 1}})
    assert response.status_code == 409 and "已锁定" in response.json()["detail"]
    assert call(client, "get", BASE, county_key).json()["values"]["gaokao_applicants"] == 30


def test_bad_input_is_refused_with_the_fields_named(client, summary_form, county_key):
    response = call(client, "put", BASE + "/values", county_key, {"values": {"gaokao_applicants": "-1"}})
    assert response.status_code == 422 and "不能是负数" in response.json()["detail"]


def test_validation_results_come_with_the_values(client, summary_form, county_key):
    call(client, "put", BASE + "/values", county_key, {"values": {**county_values(), "public_school_total": "801"}})
    body = call(client, "get", BASE, county_key).json()
    assert [f["rule"] for f in body["findings"]] == ["public_school_sum"]


def test_a_sibling_county_sees_nothing(client, summary_form, sibling_county_user):
    key = create_token(sibling_county_user, "x")[1]
    assert call(client, "get", BASE, key).status_code == 404
    assert call(client, "put", BASE + "/values", key, {"values": county_values()}).status_code == 404
    assert call(client, "get", "/api/v1/units/140525", key).status_code == 404
    codes = [u["code"] for u in call(client, "get", "/api/v1/units", key).json()]
    assert codes == ["140521"]


def test_no_token_or_a_revoked_one_is_refused(client, summary_form, county_user):
    assert client.get(BASE).status_code == 401
    token, key = create_token(county_user, "x")
    assert call(client, "get", BASE, key).status_code == 200
    revoke_token(county_user, token.pk)
    assert call(client, "get", BASE, key).status_code == 401
    assert call(client, "get", BASE, "sq_forged").status_code == 401


def test_tokens_are_created_once_visible_and_stored_hashed(client, county_user):
    client.force_login(county_user)
    body = client.post("/account/tokens/new", {"name": "统计系统"}).content.decode()
    key = body.split("<code>")[1].split("</code>")[0]
    assert key.startswith("sq_")
    from suiqian.api.models import ApiToken

    token = ApiToken.objects.get()
    assert key not in token.key_hash and key not in client.get("/account/tokens/").content.decode()


def test_the_openapi_schema_and_docs_are_served_locally(client, county_user):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/forms/{code}/reports/{unit_code}/values" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in docs and "/static/ninja/" in docs
