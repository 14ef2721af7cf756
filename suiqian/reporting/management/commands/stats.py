import sys

from django.core.management.base import BaseCommand, CommandError

from suiqian.lib.cli import add_scope_argument, scope_from_options
from suiqian.reporting.models import Indicator
from suiqian.reporting.queries import indicator_table


class Command(BaseCommand):
    help = "统计表：table 输出附件1样式的随迁子女入学情况统计表"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        table = sub.add_parser("table", help="附件1：各下级单位随迁子女公办学校就读比例排名")
        table.add_argument("--year", type=int, required=True)
        table.add_argument("--unit", default="140000", help="上级单位代码（默认 140000）")
        table.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        table.add_argument("--indicator", help="指标代码（默认：该年有数据的第一个指标）")
        table.add_argument("-o", "--output", help="输出文件（xlsx 必填；csv 默认输出到屏幕）")
        add_scope_argument(table)

    def handle(self, *args, action, **opts):
        scope = scope_from_options(opts)
        try:
            unit = scope.get_unit(opts["unit"], opts["year"])
        except Exception as e:
            raise CommandError(f"单位 {opts['unit']} 不存在或不在权限范围内") from e
        indicator = None
        if opts["indicator"]:
            indicator = Indicator.objects.filter(code=opts["indicator"]).first()
            if indicator is None:
                codes = ", ".join(Indicator.objects.values_list("code", flat=True))
                raise CommandError(f"没有指标 {opts['indicator']}（可用：{codes}）")
        table = indicator_table(scope, unit, opts["year"], indicator)
        if not any(r.has_data for r in table.rows):
            raise CommandError(f"{unit.name} {opts['year']} 年没有数据")
        if opts["format"] == "csv":
            text = table.as_table().to_csv()
            if opts["output"]:
                with open(opts["output"], "w", encoding="utf-8-sig", newline="") as f:
                    f.write(text)
            else:
                sys.stdout.write(text)
        else:
            if not opts["output"]:
                raise CommandError("xlsx 格式需要用 -o 指定输出文件")
            with open(opts["output"], "wb") as f:
                f.write(table.as_table().to_xlsx())
            self.stdout.write(f"已写入 {opts['output']}")
