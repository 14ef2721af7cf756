from suiqian.conftest import client_for


def test_it_shows_a_city_its_own_counties(client, city_user):
    response = client_for(client, city_user).get("/units/140500/")
    assert response.status_code == 200
    body = response.content.decode()
    for name in ["城区", "沁水县", "阳城县", "陵川县", "泽州县", "高平市"]:
        assert name in body
    assert "小店区" not in body


def test_a_county_gets_404_for_a_sibling_county(client, county_user, sibling_county_user):
    assert client_for(client, county_user).get("/units/140521/").status_code == 404
    assert client.get("/units/140525/").status_code == 200


def test_a_city_gets_404_for_another_city_and_its_counties(client, city_user):
    c = client_for(client, city_user)
    assert c.get("/units/140100/").status_code == 404
    assert c.get("/units/140105/").status_code == 404


def test_units_above_appear_by_name_only(client, county_user):
    response = client_for(client, county_user).get("/units/140525/")
    body = response.content.decode()
    assert "山西省" in body and "晋城市" in body
    assert 'href="/units/140000/"' not in body and 'href="/units/140500/"' not in body
    assert client.get("/units/140500/").status_code == 404


def test_the_province_sees_every_city_and_marks_key_counties(client, province_user, seeded):
    c = client_for(client, province_user)
    body = c.get("/units/140000/").content.decode()
    assert body.count('href="/units/14') >= 11
    body = c.get("/units/140600/").content.decode()  # 朔州市: 怀仁市 is on 附件2
    assert "怀仁市" in body and "重点督促" in body


def test_it_requires_login(client, shanxi):
    response = client.get("/units/140000/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
