"""`suiqian stats edu …`: the import template, the import, and the table of differences."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from suiqian.accounts.cli import add_scope_argument, scope_from_options, user_from_options, write_table
from suiqian.divisions.models import Division

from . import queries, services
from .workbook import render_template


def add_parser(sub) -> None:
    edu = sub.add_parser("edu", help="教育事业统计：template 导入模板；import 导入；diff 与附件3 不一致的单位")
    actions = edu.add_subparsers(dest="edu_action", required=True)
    template = actions.add_parser("template", help="导入模板：本省每个县级单位一行（区划代码、名称），数字列为空")
    template.add_argument("-o", "--output", required=True)
    template.add_argument("--year", type=int, help="按该年的区划（默认：现行区划）")
    template.add_argument("--province", help="省级单位代码（默认：本单位；运维人员为区划树的顶层）")
    add_scope_argument(template)
    imp = actions.add_parser("import", help="导入填好的模板（.xlsx/.xls）；任何错误都逐格列出，不保存任何数据")
    imp.add_argument("file")
    imp.add_argument("--year", type=int, required=True)
    add_scope_argument(imp)
    diff = actions.add_parser("diff", help="附件3 与教育事业统计不一致的单位：每个单位每个项目一行")
    diff.add_argument("--year", type=int, required=True)
    diff.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    diff.add_argument("-o", "--output")
    add_scope_argument(diff)


def handle(command, opts) -> None:
    {"template": _template, "import": _import, "diff": _diff}[opts["edu_action"]](command, opts)


def _template(command, opts) -> None:
    scope = scope_from_options(opts)
    province = scope.get_unit(opts["province"] or scope.default_unit().code, opts["year"])
    qs = Division.objects.under(province).filter(level=Division.Level.COUNTY)
    qs = qs.existing_in(opts["year"]) if opts["year"] else qs.current()
    units = [u for u in qs.select_related("parent").order_by("code") if scope.sees(u)]
    Path(opts["output"]).write_bytes(render_template(units, opts["year"]))
    command.stdout.write(f"已写入 {opts['output']}（{len(units)} 个县级单位）")


def _import(command, opts) -> None:
    scope, user = scope_from_options(opts), user_from_options(opts)
    path = Path(opts["file"])
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}")
    try:
        saved = services.import_table(scope, user, opts["year"], path, path.name)
    except services.ImportFailed as e:
        lines = [f"{p.sheet}!{p.cell}\t{p.field}\t{p.message}" for p in e.problems]
        raise CommandError(f"{e}：\n" + "\n".join(lines)) from e
    except services.ReportError as e:
        raise CommandError(str(e)) from e
    command.stdout.write(f"已导入 {len(saved)} 个单位的 {opts['year']} 年教育事业统计（草稿）")


def _diff(command, opts) -> None:
    scope = scope_from_options(opts)
    rows = queries.differences(scope, opts["year"])
    write_table(command, queries.differences_table(opts["year"], rows, full=False), opts)
