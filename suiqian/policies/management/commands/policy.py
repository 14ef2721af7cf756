import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suiqian.accounts.cli import add_scope_argument, scope_from_options
from suiqian.policies import ocr
from suiqian.policies.checker import check_file, check_paragraphs
from suiqian.policies.extraction import ExtractionError, NeedsRecognition
from suiqian.policies.feedback import corpus_line
from suiqian.policies.queries import feedback_in_scope
from suiqian.policies.rules import RulesError, load_rules

MAX_FILE_BYTES = 50 * 1024 * 1024
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}


class Command(BaseCommand):
    help = ("实施细则审查：check 检查一个或多个文件（.docx、PDF、文本），输出 JSON 或文字；"
            "feedback export 导出审核人员的反馈（误报、漏报）为语料行（JSON Lines）")
    # Reading files needs neither the database nor the system checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="检查实施细则文件，指出违反政策的句子")
        check.add_argument("files", nargs="+", metavar="FILE")
        check.add_argument("--format", choices=("json", "text"), default="json",
                           help="json（默认）或 text（便于阅读）")
        feedback = sub.add_parser("feedback", help="审核人员对自动审查的反馈")
        feedback_sub = feedback.add_subparsers(dest="feedback_action", required=True)
        export = feedback_sub.add_parser("export", help="导出为语料行（JSON Lines），供标注后并入下一批语料")
        export.add_argument("-o", "--output", required=True, metavar="F.jsonl")
        add_scope_argument(export)

    def handle(self, *args, action, **options):
        if action == "feedback":
            return self.export_feedback(options)
        self.check_files(options["files"], options["format"])

    def export_feedback(self, options):
        scope = scope_from_options(options)
        lines = [corpus_line(f) for f in feedback_in_scope(scope).order_by("pk")]
        with open(options["output"], "w", encoding="utf-8") as out:
            for line in lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.stdout.write(f"已导出 {len(lines)} 条反馈到 {options['output']}")

    def check_files(self, files, format):
        try:
            rules = load_rules()
        except RulesError as e:
            raise CommandError(str(e)) from e
        reports = [file_report(path, rules) for path in files]
        if format == "json":
            self.stdout.write(json.dumps(reports, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_text(reports))


def file_report(path: str, rules) -> dict:
    """{"file", "findings"} for a readable file, {"file", "error", "findings": []} otherwise."""
    try:
        data = read_file(Path(path))
        try:
            findings = check_file(data, Path(path).name, rules)
        except NeedsRecognition:
            # A scan: read it with OCR here (the command line may take its time; pages queue it).
            report = {"file": path, "recognized": True}
            findings = check_paragraphs(ocr.read_paragraphs(data), rules)
            return {**report, "findings": [f.to_dict() for f in findings]}
    except ExtractionError as e:
        return {"file": path, "error": str(e), "findings": []}
    return {"file": path, "findings": [f.to_dict() for f in findings]}


def read_file(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise ExtractionError(f"文件不存在：{path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ExtractionError(f"「{path.name}」超过 50 MB，未检查。")
        return path.read_bytes()
    except OSError as e:
        raise ExtractionError(f"无法读取文件「{path}」：{e.strerror or e}") from e


def render_text(reports: list[dict]) -> str:
    lines = []
    for report in reports:
        lines.append(f"文件：{report['file']}")
        if "error" in report:
            lines.append(f"  无法检查：{report['error']}")
        elif not report["findings"]:
            lines.append("  未发现问题。")
        for finding in report["findings"]:
            lines += _finding_lines(finding)
        lines.append("")
    unreadable = sum(1 for r in reports if "error" in r)
    total = sum(len(r["findings"]) for r in reports)
    lines.append(f"共 {len(reports)} 个文件，发现问题 {total} 处" + (f"，{unreadable} 个文件无法读取" if unreadable else "") + "。")
    return "\n".join(lines)


def _finding_lines(finding: dict) -> list[str]:
    label = "需人工核查" if not finding.get("certain", True) else SEVERITY_LABELS.get(finding["severity"], "")
    return [
        f"  [{label}] 第 {finding['paragraph']} 段"
        f"第 {finding['start'] + 1}–{finding['end']} 字  {finding.get('title') or finding['code']}",
        f"    原文：{finding['text']}",
        f"    触发词：{finding.get('trigger', '')}",
        f"    问题：{finding['rule']}",
        f"    依据：{finding['clause']}",
    ]

