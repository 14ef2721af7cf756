from django.core.management.base import BaseCommand, CommandError

from suiqian.reporting.formspec import FormSpecError
from suiqian.reporting.services import load_all_forms


class Command(BaseCommand):
    help = "表单定义：load 载入 suiqian/reporting/forms/*.yaml 与指标定义（幂等，载入前校验）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load"])

    def handle(self, *args, **opts):
        try:
            forms = load_all_forms()
        except FormSpecError as e:
            raise CommandError(str(e)) from e
        for form in forms:
            self.stdout.write(f"已载入表单 {form.code}：{form.title}（{len(form.parsed.fields)} 个字段，"
                              f"{len(form.parsed.rules)} 条规则）")
