import datetime as dt

from django.core.management.base import BaseCommand

from suiqian.notices.deadlines import send_reminders
from suiqian.notices.queries import today_in_china
from suiqian.notices.tasks import send_reminders_task


class Command(BaseCommand):
    help = "催报：向 3 天内到期或已逾期未报送的单位发邮件和站内消息，并向逾期单位的上级发一条提醒（每天只发一次；建议每天由 cron 运行）"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, help="以该日期运行（默认今天，中国标准时间）")
        parser.add_argument("--days", type=int, default=3, help="提前提醒的天数（默认 3）")
        parser.add_argument("--enqueue", action="store_true",
                            help="不在本进程发送，而是放入后台任务队列，由 suiqian worker 执行")

    def handle(self, *args, **opts):
        today = opts["date"] or today_in_china()
        if opts["enqueue"]:
            result = send_reminders_task.enqueue(day=today.isoformat(), window_days=opts["days"])
            self.stdout.write(f"{today}：催报已放入后台任务队列（任务 {result.id}），由 suiqian worker 执行")
            return
        run = send_reminders(today, window_days=opts["days"])
        self.stdout.write(f"{today}：即将到期提醒 {run.due_soon} 条，逾期提醒 {run.overdue} 条，上级提醒 {run.escalations} 条")
