from django.core.management.base import BaseCommand, CommandError

from suiqian.divisions import queries, services


class Command(BaseCommand):
    help = "行政区划：load 载入某省区划数据（幂等），counts 列出各市县级单位数"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="载入区划数据文件")
        load.add_argument("--province", default="140000", help="省级代码（默认 140000 山西省）；all 载入教育部及全部 31 个省级单位")
        load.add_argument("--file", help="自定义区划数据文件（JSON）")
        counts = sub.add_parser("counts", help="各市县级单位数")
        counts.add_argument("--province", default="140000")
        counts.add_argument("--year", type=int)

    def handle(self, *args, action, **opts):
        try:
            if action == "load":
                if opts["province"] == "all" and not opts["file"]:
                    result = services.load_national()
                else:
                    result = services.load_divisions(opts["file"] or services.data_file_for(opts["province"]))
                self.stdout.write(f"区划已载入：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")
            else:
                province = queries.get_current(opts["province"])
                total = 0
                for city, n in queries.count_by_city(province, opts["year"]):
                    self.stdout.write(f"{city.code} {city.name} {n}")
                    total += n
                self.stdout.write(f"合计 {total}")
        except (services.DivisionDataError, queries.Division.DoesNotExist) as e:
            raise CommandError(str(e) or "区划不存在，请先运行 suiqian divisions load") from e
