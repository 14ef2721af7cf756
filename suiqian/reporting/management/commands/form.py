from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suiqian.accounts.cli import add_scope_argument, scope_from_options, user_from_options
from suiqian.lib.tabular import Column, Table
from suiqian.reporting import pages, queries, services
from suiqian.reporting.excel import render_form_workbook
from suiqian.reporting.models import FormDefinition


class Command(BaseCommand):
    help = "表单：template 空表，export 导出已填的表，import 从 Excel 导入（有错误则不保存），check 批量校验"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        template = sub.add_parser("template", help="下载空表（官方版式）")
        template.add_argument("form")
        template.add_argument("-o", "--output", required=True)
        check = sub.add_parser("check", help="校验某单位及全部下级已填写的表，输出 CSV")
        check.add_argument("--form", required=True)
        check.add_argument("--unit", help="单位代码（默认：本单位；运维人员为区划树的顶层）")
        check.add_argument("--year", type=int)
        add_scope_argument(check)
        for name, text in (("export", "导出已填的表"), ("import", "从 Excel 导入")):
            p = sub.add_parser(name, help=text)
            p.add_argument("--form", required=True)
            p.add_argument("--unit", required=True)
            p.add_argument("--year", type=int)
            add_scope_argument(p)
            if name == "export":
                p.add_argument("-o", "--output", required=True)
            else:
                p.add_argument("file")

    def handle(self, *args, action, **opts):
        code = opts.get("form")
        form = FormDefinition.objects.filter(code=code).first()
        if form is None:
            raise CommandError(f"没有表单 {code}（先运行 suiqian forms load）")
        if opts.get("year") and opts["year"] != form.year:
            raise CommandError(f"表单 {code} 是 {form.year} 年的表")
        if action == "template":
            Path(opts["output"]).write_bytes(render_form_workbook(form.parsed))
            self.stdout.write(f"已写入 {opts['output']}")
            return
        scope = scope_from_options(opts)
        try:
            unit = scope.get_unit(opts["unit"] or scope.default_unit().code, form.year)
        except Exception as e:
            raise CommandError(f"单位 {opts['unit']} 不存在或不在权限范围内") from e
        if action == "check":
            self._check(scope, form, unit)
            return
        if action == "export":
            page = pages.form_page(scope, form, unit)
            values = {c.field.code: c.value for row in page.rows for c in row if c.field}
            Path(opts["output"]).write_bytes(render_form_workbook(form.parsed, values=values,
                                                                  unit_name=unit.bureau_name))
            self.stdout.write(f"已写入 {opts['output']}")
            return
        self._import(scope, user_from_options(opts), form, unit, Path(opts["file"]))

    def _check(self, scope, form, unit):
        findings = queries.batch_check(scope, form, unit)
        table = Table("校验结果", [Column("区划代码"), Column("单位"), Column("状态"), Column("级别"), Column("问题")],
                      [[f.unit.code, f.unit.name, f.status_label, "错误" if f.severity == "error" else "警告",
                        f.message] for f in findings])
        self.stdout.write(table.to_csv(), ending="")

    def _import(self, scope, user, form, unit, path: Path):
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            report = services.import_workbook(scope, user, form, unit, path, path.name)
        except services.ImportFailed as e:
            for p in e.problems:
                self.stderr.write(f"{p.sheet}!{p.cell}\t{p.item}\t{p.message}")
            raise CommandError(str(e)) from e
        except services.ReportError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"已导入 {unit.name}《{form.title}》，状态：{report.get_status_display()}")
