import logging
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suiqian.accounts.cli import add_scope_argument, scope_from_options, user_from_options
from suiqian.rosters import detection, exports, jobs, partitions, queries, synthetic
from suiqian.rosters.errors import RosterError, parse_term
from suiqian.rosters.models import ImportJob
from suiqian.rosters.terms import Term, TermError

logger = logging.getLogger(__name__)


def _term(text: str) -> Term:
    try:
        return Term.parse(text)
    except TermError as e:
        raise CommandError(str(e)) from e


class Command(BaseCommand):
    help = ("学籍名册与控辍保学：gen 生成模拟名册，import 导入名册，recover 清理中断的导入，"
            "detect 比对两学期名册发现疑似辍学，cases 导出个案（页面上传的导入和比对由 suiqian worker 在后台运行）")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)

        gen = sub.add_parser("gen", help="生成模拟名册（身份证号校验位有效，按山西各县分布）")
        gen.add_argument("--rows", type=int, help="学生人数（与 --follow 同用时为新入学人数，默认与毕业人数相同）")
        gen.add_argument("--term", required=True, help="学期，如 2021-fall")
        gen.add_argument("--seed", type=int, default=1)
        gen.add_argument("-o", "--output", required=True)
        gen.add_argument("--bad-rate", type=float, default=0.0, help="错误行比例，如 0.03")
        gen.add_argument("--follow", metavar="PREV.csv", help="由上一学期的名册生成本学期（升级、毕业、辍学、转学）")
        gen.add_argument("--dropout-rate", type=float, default=0.03)
        gen.add_argument("--transfer-rate", type=float, default=0.02)
        gen.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "gbk"], default="utf-8")

        imp = sub.add_parser("import", help="导入名册文件（CSV/.xlsx/.xls），同县区同学期的名册整体替换")
        imp.add_argument("file")
        imp.add_argument("--term", required=True)
        imp.add_argument("--unit", help="只导入该单位（县区或其上级）的名册；为县区时，空名册也会替换")
        imp.add_argument("--on-error", choices=ImportJob.OnError.values, default=ImportJob.OnError.STOP,
                         help="stop：有错误行则整份不导入（默认）；skip：跳过错误行")
        imp.add_argument("--bad-rows", metavar="F.csv", help="把错误行清单另存一份到该文件")
        add_scope_argument(imp)

        archive = sub.add_parser("archive", help="归档一个学期的名册（PostgreSQL：分离该学期的分区，保留为独立的表）")
        archive.add_argument("--term", required=True)
        attach = sub.add_parser("attach", help="重新接入已归档学期的名册（PostgreSQL）")
        attach.add_argument("--term", required=True)

        sub.add_parser("recover", help="清理意外中断的导入（删除其暂存数据和加密的上传文件）；每次导入前也会自动进行")

        detect = sub.add_parser("detect", help="比对上一学期与本学期名册：疑似辍学、平台内转学、名册未上报")
        detect.add_argument("--term", required=True)
        add_scope_argument(detect)

        cases = sub.add_parser("cases", help="导出个案（身份证号已隐去部分）")
        cases.add_argument("--term", required=True)
        cases.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        cases.add_argument("--unit", help="只导出该单位及下级的个案")
        cases.add_argument("--open", action="store_true", help="只导出未结案（核查中、劝返中）")
        cases.add_argument("--include-transfers", action="store_true", help="附上平台内转学记录（状态：已转学（平台内））")
        cases.add_argument("-o", "--output")
        add_scope_argument(cases)

    def handle(self, *args, action, **opts):
        try:
            getattr(self, f"do_{action}")(opts)
        except RosterError as e:
            raise CommandError(str(e)) from e

    # --- gen -----------------------------------------------------------------------------------
    def do_gen(self, opts):
        term = _term(opts["term"])
        gen = synthetic.Generator(opts["seed"])
        counts = synthetic.FollowCounts()
        if opts["follow"]:
            rows = synthetic.following_rows(gen, term, Path(opts["follow"]), dropout_rate=opts["dropout_rate"],
                                            transfer_rate=opts["transfer_rate"], counts=counts,
                                            entrants=opts["rows"])
        elif opts["rows"] is None:
            raise CommandError("请用 --rows 指定学生人数")
        else:
            rows = synthetic.fresh_rows(gen, term, opts["rows"])
        with open(opts["output"], "w", encoding=opts["encoding"], newline="") as out:
            written, spoilt = synthetic.write_rows(rows, out, gen, bad_rate=opts["bad_rate"])
        extra = (f"；毕业 {counts.graduated}，辍学 {counts.dropped}，转学 {counts.moved}，新入学 {counts.entered}"
                 if opts["follow"] else "")
        self.stdout.write(f"已生成 {opts['output']}：{written} 行（其中错误行 {spoilt}）{extra}")

    # --- import --------------------------------------------------------------------------------
    def do_import(self, opts):
        scope = scope_from_options(opts)
        user = user_from_options(opts)
        unit = scope.get_unit(opts["unit"]) if opts["unit"] else None
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        started = time.perf_counter()

        def progress(job):
            self.stderr.write(f"已读取 {job.rows_read} 行，已校验 {job.rows_checked} 行，已写入 {job.rows_written} 行，"
                              f"错误行 {job.rows_bad}（{time.perf_counter() - started:.1f} 秒）")

        job = jobs.import_file(scope, user, path, opts["term"], unit=unit, on_error=opts["on_error"],
                                   progress=progress)
        self._report_bad_rows(job, opts["bad_rows"], scope, user)
        if job.status != ImportJob.Status.DONE:
            raise CommandError(job.message)
        self.stdout.write(job.message)

    def _report_bad_rows(self, job, copy_to, scope, user):
        if not job.rows_bad:
            return
        for reason, n in job.reasons_by_count:
            self.stderr.write(f"{reason}：{n} 行")
        for row, masked, reason in job.bad_rows_sample[:20]:
            self.stderr.write(f"第 {row} 行\t{masked}\t{reason}")
        if job.rows_bad > 20:
            self.stderr.write(f"……共 {job.rows_bad} 行错误")
        if copy_to:
            from django.conf import settings

            source = Path(settings.MEDIA_ROOT) / job.bad_rows_file
            # Bad rows carry names and masked IDs: a copy outside the platform is an export, checked and audited.
            try:
                exports.record_export(scope, user, job.unit, parse_term(job.term), "bad_rows",
                                       job.rows_bad, via="cli")
            except RosterError as e:
                raise CommandError(str(e)) from e
            Path(copy_to).write_bytes(source.read_bytes())
            self.stderr.write(f"错误行清单已写入 {copy_to}")

    # --- archive / attach -------------------------------------------------------------------------
    def do_archive(self, opts):
        term = _term(opts["term"])
        try:
            table = partitions.detach(term)
        except partitions.PartitionError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"{term.label}名册已归档为表 {table}：可用 pg_dump -t {table} 导出后 DROP TABLE {table}；"
                          f"需要时 pg_restore 后运行 suiqian roster attach --term {term.code}")

    def do_attach(self, opts):
        term = _term(opts["term"])
        try:
            partitions.attach(term)
        except partitions.PartitionError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"{term.label}名册已重新接入")

    # --- recover ------------------------------------------------------------------------------
    def do_recover(self, opts):
        failed = jobs.recover_interrupted_imports()
        self.stdout.write(f"已清理 {failed} 个意外中断的导入")

    # --- detect --------------------------------------------------------------------------------
    def do_detect(self, opts):
        scope = scope_from_options(opts)
        if not scope.is_system:
            raise CommandError("比对覆盖全平台名册（跨县转学），只能由运维人员运行")
        result = detection.detect(opts["term"])
        self.stdout.write(f"{result.term.label}比对完成（{result.seconds:.1f} 秒）：新增疑似辍学 {result.cases_opened} 人，"
                          f"因已在册而结案 {result.cases_closed} 人，平台内转学 {result.transfers} 人")
        for unit in result.missing_units:
            self.stdout.write(f"名册未上报：{unit.code} {unit.full_name or unit.name}（该县区不生成疑似辍学个案）")

    # --- cases ---------------------------------------------------------------------------------
    def do_cases(self, opts):
        scope = scope_from_options(opts)
        user = user_from_options(opts)
        term = _term(opts["term"])
        unit = scope.get_unit(opts["unit"]) if opts["unit"] else (None if scope.is_system else scope.unit)
        qs = queries.cases(scope, term=term, unit=unit, open_only=opts["open"])
        table = queries.cases_table(scope, term, qs, include_transfers=opts["include_transfers"])
        exports.record_export(scope, user, unit, term, "cases", len(table.rows), via="cli")
        if opts["format"] == "xlsx":
            if not opts["output"]:
                raise CommandError("xlsx 格式需要用 -o 指定输出文件")
            Path(opts["output"]).write_bytes(table.to_xlsx())
        elif opts["output"]:
            with open(opts["output"], "w", encoding="utf-8-sig", newline="") as f:
                f.write(table.to_csv())
        else:
            sys.stdout.write(table.to_csv())
        if opts["output"]:
            self.stdout.write(f"已写入 {opts['output']}（{len(table.rows)} 行）")
