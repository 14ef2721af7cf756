"""The case search is posted: a name or 身份证号 typed into it never appears in an address (access logs)."""

import datetime as dt
import re

from suiqian.divisions.models import Division
from suiqian.rosters.models import DropoutCase


def case(name, masked, school):
    return DropoutCase.objects.create(
        term="2022-spring", id_hash=masked.encode().ljust(32, b"0"), id_masked=masked, name=name, sex="男",
        birth_date=dt.date(2012, 3, 1), unit=Division.objects.get(code="140525", valid_to__isnull=True),
        school=school, school_type=1, grade=4)


def test_the_search_is_posted_and_a_query_in_the_address_is_ignored(client, county_user):
    case("张三", "140525********1234", "实验小学")
    case("李四", "140581********5678", "第二小学")
    client.force_login(county_user)
    page = client.get("/rosters/140525/cases?term=2022-spring").content.decode()
    form = re.search(r'<form method="(\w+)"[^>]*id="case-filters"', page)
    assert form and form.group(1) == "post"
    assert 'href="?term' not in page  # the export is a button of the posted form, not a link carrying the query

    found = client.post("/rosters/140525/cases", {"term": "2022-spring", "q": "140581"}).content.decode()
    assert "李四" in found and "张三" not in found
    ignored = client.get("/rosters/140525/cases?term=2022-spring&q=140581").content.decode()
    assert "李四" in ignored and "张三" in ignored

    export = client.post("/rosters/140525/cases", {"term": "2022-spring", "q": "张", "format": "csv"})
    assert export.status_code == 200 and "张三" in export.content.decode() and "李四" not in export.content.decode()
