import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from suiqian.policies.tests.documents import COMPLIANT, NINE_VIOLATIONS, PREAMBLE, make_docx, make_pdf

FINDING_KEYS = ["code", "severity", "paragraph", "start", "end", "text", "rule", "clause", "title", "trigger", "certain"]


def policy_check(*args) -> str:
    out = StringIO()
    call_command("policy", "check", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def nine_violation_files(tmp_path):
    paragraphs = [PREAMBLE, *NINE_VIOLATIONS.values()]
    files = {
        "细则.txt": "\n".join(paragraphs).encode("gbk"),
        "细则.docx": make_docx(paragraphs, blank_between=True),
        "细则.pdf": make_pdf(paragraphs),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files]


def test_it_finds_each_of_the_nine_codes_in_txt_docx_and_pdf(nine_violation_files):
    reports = json.loads(policy_check(*nine_violation_files, "--format", "json"))
    assert [r["file"] for r in reports] == [str(p) for p in nine_violation_files]
    expected = [(number, code, text.rstrip("。"))
                for number, (code, text) in enumerate(NINE_VIOLATIONS.items(), 2)]
    for report in reports:
        assert "error" not in report
        assert [(f["paragraph"], f["code"], f["text"]) for f in report["findings"]] == expected


def test_it_prints_the_json_shape_with_chinese_explanations(tmp_path):
    path = tmp_path / "a.txt"
    paragraph = "第四条 报名材料。须提供户籍地无人监护证明。"
    path.write_text(f"总则\n{paragraph}\n", encoding="utf-8")
    [report] = json.loads(policy_check(path))  # json is the default format
    assert list(report) == ["file", "findings"]
    [finding] = report["findings"]
    assert list(finding) == FINDING_KEYS
    assert finding["code"] == "NO_GUARDIAN_PROOF" and finding["severity"] == "error"
    assert finding["paragraph"] == 2
    assert paragraph[finding["start"]:finding["end"]] == finding["text"] == "须提供户籍地无人监护证明"
    assert "无人监护" in finding["rule"] and finding["clause"] == "晋教基函〔2021〕24号 二"


def test_it_finds_nothing_in_compliant_files(tmp_path):
    txt, docx = tmp_path / "合规.txt", tmp_path / "合规.docx"
    txt.write_text("\n".join(COMPLIANT), encoding="utf-8-sig")
    docx.write_bytes(make_docx(COMPLIANT))
    reports = json.loads(policy_check(txt, docx, "--format", "json"))
    assert reports == [{"file": str(txt), "findings": []}, {"file": str(docx), "findings": []}]


def test_it_reports_an_unreadable_file_and_goes_on_with_the_others(tmp_path):
    exe, missing, good = tmp_path / "setup.docx", tmp_path / "无此文件.pdf", tmp_path / "b.txt"
    exe.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)))
    good.write_text("报名时须提供计划生育证明。", encoding="utf-8")
    reports = json.loads(policy_check(exe, missing, good, "--format", "json"))
    assert [r["file"] for r in reports] == [str(exe), str(missing), str(good)]
    assert "无法识别「setup.docx」的格式" in reports[0]["error"] and reports[0]["findings"] == []
    assert "文件不存在" in reports[1]["error"]
    assert [f["code"] for f in reports[2]["findings"]] == ["FAMILY_PLANNING_PROOF"]


def test_it_prints_a_readable_text_report(tmp_path):
    bad, good = tmp_path / "a.txt", tmp_path / "b.txt"
    bad.write_text("总则\n父母双方均须持有居住证。", encoding="utf-8")
    good.write_text("居住证且居住满半年", encoding="utf-8")
    text = policy_check(bad, good, tmp_path / "c.pdf", "--format", "text")
    assert (f"文件：{bad}\n  [错误] 第 2 段第 1–11 字  要求父母双方均符合条件\n    原文：父母双方均须持有居住证\n"
            "    触发词：父母双方\n") in text
    assert f"文件：{good}\n  未发现问题。" in text
    assert "无法检查：文件不存在" in text
    assert text.rstrip().endswith("共 3 个文件，发现问题 1 处，1 个文件无法读取。")


def test_the_cli_exits_0_with_an_unreadable_file_and_2_on_wrong_arguments(tmp_path):
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    cli = [sys.executable, "-m", "suiqian.cli", "policy", "check"]
    result = subprocess.run([*cli, str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "已损坏" in json.loads(result.stdout)[0]["error"]
    wrong = subprocess.run([*cli, str(broken), "--format", "xml"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0 and "invalid choice" in wrong.stderr


def test_uncertain_findings_carry_certain_false_in_the_json(tmp_path):
    path = tmp_path / "b.txt"
    path.write_text("居住证须于2020年9月1日前签发。\n", encoding="utf-8")
    [report] = json.loads(policy_check(path))
    [finding] = report["findings"]
    assert finding["certain"] is False and finding["code"] == "RESIDENCE_PERMIT_DURATION_EXCEEDS"
    assert "需人工核查" in policy_check(path, "--format", "text")
