from suiqian.accounts.scope import Scope
from suiqian.conftest import client_for
from suiqian.divisions.models import Division
from suiqian.notices import documents


def test_the_home_page_lists_notices_owed_documents_and_reviews(client, seeded_notices, county_user, city_user):
    body = client_for(client, county_user).get("/").content.decode()
    assert "未读通知：晋市教基函字(2021)25号" in body
    assert "报送“各县（市、区）随迁子女入学实施细则”（已逾期 2021-06-20，未报送）" in body
    rules = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    documents.submit_document(Scope.of(county_user), county_user, rules,
                             Division.objects.get(code="140525", valid_to__isnull=True), "细则".encode(), "a.txt")
    body = client_for(client, city_user).get("/").content.decode()
    assert "审核泽州县报送的“各县（市、区）随迁子女入学实施细则”（第 1 版）" in body
    body = client_for(client, county_user).get("/").content.decode()
    assert "（已逾期 2021-06-20，未报送）" not in body
