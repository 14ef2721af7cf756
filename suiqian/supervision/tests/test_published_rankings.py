from suiqian.accounts.scope import Scope
from suiqian.conftest import county_values, make_user
from suiqian.divisions.models import Division
from suiqian.reporting import services as reporting
from suiqian.supervision import services
from suiqian.supervision.queries import ranking_changes


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


def approve(form, code, scale, reviewer):
    filler = make_user(code, username=f"f{code}")
    report = reporting.save_values(Scope.of(filler), filler, form, unit(code), county_values(scale))
    reporting.submit_report(Scope.of(filler), filler, report)
    reporting.approve_report(Scope.of(reviewer), reviewer, report)
    return report


def test_a_published_ranking_stays_as_published_and_shows_later_changes(client, summary_form, city_user):
    report = approve(summary_form, "140525", 1, city_user)
    ranking = services.publish_ranking(Scope.of(city_user), city_user, unit("140500"), 2021)
    assert [(r["name"], r["ratio"]) for r in ranking.rows] == [("泽州县", "95.56")]
    assert ranking.indicator["code"] == "public_ratio_migrant_workers"
    # A correction after publication: unlock, change, approve again.
    reporting.unlock_report(Scope.of(city_user), city_user, report, "更正公办就读人数")
    county = make_user("140525", username="f140525")
    reporting.save_values(Scope.of(county), county, summary_form, unit("140525"),
                          {"public_school_primary": "400", "public_school_total": "700"})
    reporting.submit_report(Scope.of(county), county, report)
    reporting.approve_report(Scope.of(city_user), city_user, report)
    ranking.refresh_from_db()
    assert ranking.rows[0]["numerator"] == 860
    changes = ranking_changes(Scope.of(city_user), ranking)
    assert [(c["name"], c["published"]["numerator"], c["numerator"]) for c in changes] == [("泽州县", 860, 760)]
    client.force_login(city_user)
    body = client.get(f"/supervision/rankings/{ranking.pk}/").content.decode()
    assert "860 / 900（95.56%）" in body and "760 / 900（84.44%）" in body


def test_a_county_cannot_publish_its_citys_ranking(client, summary_form, county_user, city_user):
    approve(summary_form, "140525", 1, city_user)
    client.force_login(county_user)
    response = client.post("/supervision/rankings/publish", {"unit": "140500", "year": "2021"})
    assert response.status_code == 404
