import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from suiqian.accounts.cli import add_scope_argument, scope_from_options, write_table
from suiqian.notices.queries import status_table, visible_notices


class Command(BaseCommand):
    help = "通知：status 输出某通知的报送情况（每个应报单位每个事项一行）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="报送情况：应报单位、状态、报送时间、及时性")
        status.add_argument("--wenhao", required=True, help="通知文号，如 晋教基函〔2021〕24号")
        status.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        status.add_argument("-o", "--output")
        status.add_argument("--date", type=dt.date.fromisoformat, help="按该日期判断是否逾期（默认今天）")
        add_scope_argument(status)

    def handle(self, *args, action, **opts):
        scope = scope_from_options(opts)
        notices = list(visible_notices(scope).filter(wenhao=opts["wenhao"]))
        if not notices:
            raise CommandError(f"没有文号为 {opts['wenhao']} 的通知（或不在权限范围内）")
        if len(notices) > 1:
            raise CommandError(f"有 {len(notices)} 份通知使用文号 {opts['wenhao']}，请用 --as 限定单位")
        table = status_table(notices[0], opts["date"], None if scope.is_system else scope)
        write_table(self, table, opts)
