from django.core.management.base import BaseCommand, CommandError

from suiqian.edustats import commands as edu
from suiqian.accounts.cli import add_scope_argument, scope_from_options, write_table
from suiqian.reporting.models import Indicator
from suiqian.reporting.rankings import indicator_table
from suiqian.supervision.queries import REASONS, early_warnings, warnings_table


class Command(BaseCommand):
    help = "统计：table 附件1样式统计表；warnings 预警名单；edu 教育事业统计"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        table = sub.add_parser("table", help="附件1：各下级单位随迁子女公办学校就读比例排名")
        table.add_argument("--year", type=int, required=True)
        table.add_argument("--unit", help="上级单位代码（默认：本单位；运维人员为区划树的顶层）")
        table.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        table.add_argument("--indicator", help="指标代码（默认：该年有数据的第一个指标）")
        table.add_argument("-o", "--output", help="输出文件（xlsx 必填；csv 默认输出到屏幕）")
        add_scope_argument(table)
        warnings = sub.add_parser("warnings", help="预警名单：低于全国比例、同比下降、逾期未报或逾期报送、附件3与教育事业统计不一致")
        warnings.add_argument("--year", type=int, required=True)
        warnings.add_argument("--reason", choices=list(REASONS), help="只列该原因")
        warnings.add_argument("--city", help="只列该市（代码）及其下属县")
        warnings.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        warnings.add_argument("-o", "--output")
        add_scope_argument(warnings)
        edu.add_parser(sub)

    def handle(self, *args, action, **opts):
        if action == "edu":
            return edu.handle(self, opts)
        scope = scope_from_options(opts)
        if action == "warnings":
            return self._warnings(scope, opts)
        code = opts["unit"] or scope.default_unit().code
        try:
            unit = scope.get_unit(code, opts["year"])
        except Exception as e:
            raise CommandError(f"单位 {code} 不存在或不在权限范围内") from e
        indicator = None
        if opts["indicator"]:
            indicator = Indicator.objects.filter(code=opts["indicator"]).first()
            if indicator is None:
                codes = ", ".join(Indicator.objects.values_list("code", flat=True))
                raise CommandError(f"没有指标 {opts['indicator']}（可用：{codes}）")
        table = indicator_table(scope, unit, opts["year"], indicator)
        if not any(r.has_data for r in table.rows):
            raise CommandError(f"{unit.name} {opts['year']} 年没有数据")
        write_table(self, table.as_table(), opts)

    def _warnings(self, scope, opts):
        found = early_warnings(scope, opts["year"], reason=opts["reason"] or "", city=opts["city"] or "")
        write_table(self, warnings_table(opts["year"], found, reason=opts["reason"] or ""), opts)
