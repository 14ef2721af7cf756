from django.core.management import call_command

from suiqian.reporting.models import Report


def test_demo_data_puts_jinchengs_counties_part_way_through(seeded_notices, capsys):
    call_command("demo", "data")
    call_command("demo", "data")  # idempotent
    statuses = dict(Report.objects.values_list("unit__code", "status"))
    assert statuses == {"140502": "approved", "140521": "approved", "140522": "submitted",
                        "140524": "returned", "140581": "draft"}
    assert Report.objects.get(unit__code="140522").submitted_at.year == 2021
    from suiqian.notices.models import DocumentSubmission

    documents = {d.unit.code: d for d in DocumentSubmission.objects.all()}
    assert documents["140502"].status == "approved" and documents["140502"].findings == []
    assert {"FAMILY_PLANNING_PROOF", "NO_GUARDIAN_PROOF", "PROPERTY_ONLY"} <= {f["code"] for f in documents["140521"].findings}


def test_demo_users_print_their_logins(shanxi, capsys, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-pass-123")
    call_command("demo", "users")
    out = capsys.readouterr().out
    assert "another-pass-123" in out
    for line in ["140000   山西省教育厅", "140500   晋城市教育局", "140525   泽州县教育局"]:
        assert line in out
    from suiqian.accounts.models import User

    assert User.objects.get(username="140525").check_password("another-pass-123")
