"""附件1 over the API: every row and the total with its coverage, within the token's scope."""

import pytest
from django.core.management import call_command

from suiqian.api.services import create_token


@pytest.fixture
def demo(seeded, summary_form):
    call_command("demo", "data")


def test_the_api_carries_the_coverage(demo, province_user, client, sibling_county_user):
    _, key = create_token(province_user, "测试")
    response = client.get("/api/v1/stats/enrollment?unit=140000&year=2021", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    body = response.json()
    assert body["total"]["coverage"]["included"] == 1 and body["total"]["coverage"]["expected"] == 11
    assert body["total"]["coverage"]["complete"] is False
    jincheng = next(r for r in body["rows"] if r["code"] == "140500")
    assert (jincheng["coverage"]["included"], jincheng["coverage"]["expected"]) == (2, 6)
    _, sibling_key = create_token(sibling_county_user, "测试")
    response = client.get("/api/v1/stats/enrollment?unit=140525&year=2021", HTTP_AUTHORIZATION=f"Bearer {sibling_key}")
    assert response.status_code == 404
