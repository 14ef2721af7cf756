"""The README's worked example, taken from the README as it stands and run against a live server."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

from suiqian.api.services import create_token
from suiqian.conftest import county_values, run_pending_tasks
from suiqian.reporting.models import Report
from suiqian.rosters.models import ImportJob
from suiqian.rosters.tests.factories import child, roster_text

README = Path(__file__).resolve().parents[3] / "README.md"


def example_script() -> str:
    section = README.read_text(encoding="utf-8").split("### 示例：县级业务系统对接", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_against_a_live_server(live_server, seeded, city_user, county_user, tmp_path):
    (tmp_path / "example.py").write_text(example_script(), encoding="utf-8")
    (tmp_path / "泽州县.json").write_text(json.dumps(county_values()), encoding="utf-8")
    (tmp_path / "名册.csv").write_text(roster_text([child(1), child(2), child(3, grade=7)]), encoding="utf-8")
    env = {**os.environ, "SUIQIAN_CITY_TOKEN": create_token(city_user, "统计系统", access="read")[1],
           "SUIQIAN_COUNTY_TOKEN": create_token(county_user, "学籍系统")[1]}
    run = subprocess.Popen([sys.executable, "example.py", "--url", live_server.url, "--year", "2020",
                            "--values", "泽州县.json", "--roster", "名册.csv", "--term", "2021-fall"],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while run.poll() is None and time.monotonic() < deadline:  # the worker beside the server
        run_pending_tasks()
        time.sleep(0.3)
    out, err = run.communicate(timeout=5)
    assert run.returncode == 0, out + err
    run.stdout = out
    assert "附件3 已上报" in run.stdout and "名册 完成 3 行，错误 0 行" in run.stdout
    sheet = load_workbook(tmp_path / "附件1-2020.xlsx").active
    assert sheet["A1"].value == "晋城市2020年义务教育阶段随迁子女入学情况统计表"
    assert Report.objects.get(unit__code="140525").status == Report.Status.SUBMITTED
    job = ImportJob.objects.get()
    assert (job.status, job.rows_written, job.user) == ("done", 3, county_user)


def test_the_example_stops_with_the_apis_message_when_refused(live_server, seeded, city_user, county_user,
                                                              tmp_path):
    """A read-only county token: the save is refused, and the script says why in Chinese."""
    (tmp_path / "example.py").write_text(example_script(), encoding="utf-8")
    (tmp_path / "v.json").write_text(json.dumps(county_values()), encoding="utf-8")
    env = {**os.environ, "SUIQIAN_CITY_TOKEN": create_token(city_user, "统计", access="read")[1],
           "SUIQIAN_COUNTY_TOKEN": create_token(county_user, "只读", access="read")[1]}
    run = subprocess.run([sys.executable, "example.py", "--url", live_server.url, "--year", "2020",
                          "--values", "v.json", "--roster", "none.csv", "--term", "2021-fall"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode != 0 and "403 此令牌为只读令牌，不能修改数据" in run.stderr
    assert not Report.objects.filter(unit__code="140525").exists()
