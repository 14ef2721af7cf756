import datetime as dt

from django.core import mail
from django.core.management import call_command

from suiqian.accounts.scope import Scope
from suiqian.divisions.models import Division
from suiqian.notices import deadlines, documents
from suiqian.notices.models import InboxMessage, ReminderLog


def test_reminders_go_out_once_a_day_with_one_escalation_per_overdue_unit(seeded_notices, county_user, city_user):
    county_user.email, city_user.email = "zezhou@example.cn", "jincheng@example.cn"
    county_user.save(), city_user.save()
    enrollment_rules = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    documents.submit_document(Scope.of(county_user), county_user, enrollment_rules,
                             Division.objects.get(code="140525", valid_to__isnull=True), "细则".encode(), "a.txt")
    run = deadlines.send_reminders(dt.date(2021, 6, 22))
    # 晋城市's six counties owe 实施细则 (due 6/20): five are overdue, 泽州县 delivered. 11 cities owe theirs by 6/30.
    assert (run.overdue, run.escalations) == (5, 5)
    assert run.due_soon == 0
    assert InboxMessage.objects.filter(unit__code="140500", text__contains="逾期未报送").count() == 5
    assert not InboxMessage.objects.filter(unit__code="140525", text__contains="请报送").exists()
    again = deadlines.send_reminders(dt.date(2021, 6, 22))
    assert (again.due_soon, again.overdue, again.escalations) == (0, 0, 0)
    assert ReminderLog.objects.count() == 10


def test_a_unit_due_within_three_days_is_reminded_by_mail(seeded_notices, city_user, capsys):
    city_user.email = "jincheng@example.cn"
    city_user.save()
    call_command("remind", "--date", "2021-06-28")
    assert "即将到期提醒 18 条" in capsys.readouterr().out  # 11 cities' 实施细则 + 7 cities' 一县一案
    assert any("jincheng@example.cn" in m.to for m in mail.outbox)
    call_command("remind", "--date", "2021-06-28")
    assert "即将到期提醒 0 条，逾期提醒 0 条，上级提醒 0 条" in capsys.readouterr().out


def test_reminders_run_as_a_background_task_by_the_worker(seeded_notices, city_user, run_tasks, capsys):
    from django_tasks_db.models import DBTaskResult

    city_user.email = "jincheng@example.cn"
    city_user.save()
    call_command("remind", "--date", "2021-06-28", "--enqueue")
    assert "后台任务队列" in capsys.readouterr().out
    assert not mail.outbox and not ReminderLog.objects.exists()  # nothing sent until the worker runs it
    run_tasks()
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["due_soon"] == 18
    assert any("jincheng@example.cn" in m.to for m in mail.outbox)
    assert ReminderLog.objects.filter(kind=ReminderLog.Kind.DUE_SOON).count() == 18
