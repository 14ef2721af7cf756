"""`suiqian backup` and `suiqian restore`: real data out and back in, on the engine of the test run.

SQLite by default; PostgreSQL when DATABASE_URL points at it (CI's second run). Each round-trip
compares the data (dumpdata of every app the portable format carries, plus row counts of every
table for the native format) and the uploaded files byte for byte.
"""

import io
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from suiqian.accounts.scope import Scope
from suiqian.api.services import create_token
from suiqian.conftest import county_values, docx_bytes, make_user
from suiqian.divisions.models import Division
from suiqian.notices.documents import submit_document
from suiqian.ops import inventory, services
from suiqian.reporting import services as reporting
from suiqian.reporting.models import FormDefinition, Report

pytestmark = pytest.mark.django_db(transaction=True)

IS_PG = connection.vendor == "postgresql"


def unit(code):
    return Division.objects.get(code=code, valid_to__isnull=True)


@pytest.fixture
def platform_data(seeded_notices, county_user, city_user):
    """Divisions, forms, notices, users with roles and a token, an approved report, an uploaded document."""
    form = FormDefinition.objects.get(code="summary-2021")
    county = unit("140525")
    report = reporting.save_values(Scope.of(county_user), county_user, form, county, county_values())
    reporting.submit_report(Scope.of(county_user), county_user, report)
    reporting.approve_report(Scope.of(city_user), city_user, report)
    requirement = seeded_notices["晋市教基函字(2021)25号"].requirements.get(document_type="enrollment_rules")
    submission = submit_document(Scope.of(county_user), county_user, requirement, county,
                                 docx_bytes("第一条 随迁子女凭居住证入学。"), "泽州县实施细则.docx")
    create_token(county_user, "县业务系统")
    assert Report.objects.get(pk=report.pk).status == Report.Status.APPROVED
    assert Path(submission.file.path).is_file()
    return {"report": report, "submission": submission}


def snapshot(alias="default") -> list[dict]:
    """Every row the portable format carries, as parsed JSON (key order of jsonb does not matter)."""
    out = io.StringIO()
    call_command("dumpdata", natural_foreign=True, use_base_manager=True, exclude=list(services.PORTABLE_EXCLUDE),
                 database=alias, stdout=out, verbosity=0)
    return sorted(json.loads(out.getvalue()), key=lambda o: (o["model"], str(o["pk"])))


def media(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(command, *args, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def pg_params() -> dict:
    """The test run's server, or in the SQLite run the local one (for the cross-engine round-trip)."""
    if IS_PG:
        s = connection.settings_dict
        return {"host": s["HOST"] or "127.0.0.1", "port": int(s["PORT"] or 5432), "user": s["USER"] or "postgres",
                "password": s["PASSWORD"] or ""}
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}


def pg_admin(timeout=10):
    p = pg_params()
    return psycopg.connect(host=p["host"], port=p["port"], user=p["user"], password=p["password"] or None,
                           dbname="postgres", autocommit=True, connect_timeout=timeout)


def pg_reachable() -> bool:
    try:
        pg_admin(timeout=2).close()
        return True
    except Exception:
        return False


@pytest.fixture
def empty_pg_database():
    """A freshly created, empty PostgreSQL database, as a URL; dropped afterwards."""
    p = pg_params()
    name = f"test_suiqian_restore_{os.getpid()}"
    with pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = quote(p["user"]) + (f":{quote(p['password'])}" if p["password"] else "")
    try:
        yield f"postgres://{auth}@{p['host']}:{p['port']}/{name}"
    finally:
        with pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database(tmp_path, request):
    """An empty database of the test run's engine, as a URL."""
    if IS_PG:
        return request.getfixturevalue("empty_pg_database")
    return f"sqlite:///{tmp_path / 'restored' / 'suiqian.sqlite3'}"


# --- round-trips ---------------------------------------------------------------------------------

def test_backup_wipe_restore_gives_back_the_same_rows_and_files(platform_data, settings, tmp_path):
    media_root = Path(settings.MEDIA_ROOT)
    before, files, counts = snapshot(), media(media_root), inventory.row_counts("default")
    assert any(o["model"] == "reporting.report" and o["fields"]["status"] == "approved" for o in before)
    assert any(name.startswith("submissions/") for name in files)

    out = run("backup", "-o", str(tmp_path / "backup"))
    assert "备份完成" in out
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == connection.vendor and manifest["row_counts"] == counts
    assert manifest["migrations"] == inventory.code_migration_state()
    assert {m["path"] for m in manifest["media"]["files"]} == set(files)

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media_root)
    assert not Report.objects.exists()

    out = run("restore", str(tmp_path / "backup"))  # a flushed database counts as empty: no --force
    assert "校验通过" in out and "恢复完成" in out and "原生格式" in out
    assert snapshot() == before
    assert inventory.row_counts("default") == counts
    assert media(media_root) == files
    assert Report.objects.get(pk=platform_data["report"].pk).status == Report.Status.APPROVED


def test_restore_into_a_new_empty_database_and_media_folder(platform_data, settings, tmp_path, empty_database):
    before, files = snapshot(), media(Path(settings.MEDIA_ROOT))
    run("backup", "-o", str(tmp_path / "backup"))
    restored_media = tmp_path / "restored-media"

    out = run("restore", str(tmp_path / "backup"), database_url=empty_database, media_root=restored_media)
    assert "原生格式" in out
    with services.database_alias(empty_database) as alias:
        assert snapshot(alias) == before
        assert inventory.row_counts(alias) == inventory.row_counts("default")
        assert inventory.migration_state(alias) == inventory.code_migration_state()
    assert media(restored_media) == files
    assert snapshot() == before  # the source is untouched


def test_portable_restore_across_engines(platform_data, settings, tmp_path, request):
    """PostgreSQL → SQLite in the PostgreSQL run; SQLite → PostgreSQL in the SQLite run when a local
    server answers, else the portable format into SQLite on request (--portable)."""
    before, files = snapshot(), media(Path(settings.MEDIA_ROOT))
    run("backup", "-o", str(tmp_path / "backup"))
    if IS_PG:
        target, options = f"sqlite:///{tmp_path / 'other.sqlite3'}", {}
    elif pg_reachable():
        target, options = request.getfixturevalue("empty_pg_database"), {}
    else:
        target, options = f"sqlite:///{tmp_path / 'other.sqlite3'}", {"portable": True}

    out = run("restore", str(tmp_path / "backup"), database_url=target, media_root=tmp_path / "m", **options)
    assert "data.json.gz" in out and "可移植格式" in out
    with services.database_alias(target) as alias:
        assert snapshot(alias) == before
        # Content types come from migrate on the target, and the users' permissions still resolve.
        assert inventory.row_counts(alias)["contenttypes.contenttype"] > 0
    assert media(tmp_path / "m") == files


# --- refusals ---------------------------------------------------------------------------------

@pytest.fixture
def small_backup(county_user, settings, tmp_path):
    default_storage.save("notices/2021/附件.txt", ContentFile("通知附件".encode()))
    run("backup", "-o", str(tmp_path / "backup"))
    return tmp_path / "backup"


def copy_of(backup: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(backup, target)
    return target


def edit_manifest(directory: Path, change) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def flip_a_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def test_restore_refuses_a_non_empty_target_unless_forced(small_backup, county_user):
    make_user("140000", username="after-backup")
    with pytest.raises(CommandError, match=r"目标数据库不为空.*上传文件目录 .* 不为空.*--force"):
        run("restore", str(small_backup))
    assert county_user.__class__.objects.filter(username="after-backup").exists()  # nothing was touched

    run("restore", str(small_backup), force=True)
    assert not county_user.__class__.objects.filter(username="after-backup").exists()
    assert county_user.__class__.objects.filter(username=county_user.username).exists()


def test_restore_checks_the_backup_before_touching_anything(small_backup, county_user, tmp_path):
    make_user("140000", username="after-backup")
    User = county_user.__class__

    native = services.NATIVE_FILE[connection.vendor]
    damages = [  # (copy's name, what is done to it, the refusal, restore's options)
        ("corrupt", lambda d: flip_a_byte(d / "media.tar", 600), "校验和不符：media.tar", {}),
        ("missing", lambda d: (d / "data.json.gz").unlink(), "缺少文件：data.json.gz", {}),
        ("truncated", lambda d: truncate(d / native, 1000), f"文件大小不符：{native}", {}),
        ("unfinished", lambda d: (d / "manifest.json").unlink(), "没有 manifest.json", {}),
        ("newer", lambda d: edit_manifest(d, lambda m: m["migrations"]["reporting"].append("9999_from_the_future")),
         "较新版本.*reporting.9999_from_the_future", {}),
        ("older", lambda d: edit_manifest(d, lambda m: m["migrations"].pop("supervision")),
         "可移植格式.*迁移状态相同", {"portable": True}),
    ]
    for name, damage, refusal, options in damages:
        damaged = copy_of(small_backup, tmp_path, name)
        damage(damaged)
        with pytest.raises(CommandError, match=refusal):
            run("restore", str(damaged), force=True, **options)

    assert User.objects.filter(username="after-backup").exists()  # none of these changed the database


def test_backup_refuses_to_overwrite_or_to_nest_in_media(county_user, settings, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="已存在且不为空"):
        run("backup", "-o", str(tmp_path / "used"))
    with pytest.raises(CommandError, match="位于上传文件目录"):
        run("backup", "-o", str(Path(settings.MEDIA_ROOT) / "backup"))


def test_a_backup_older_than_the_code_restores_natively_and_asks_for_migrate(small_backup, tmp_path):
    older = copy_of(small_backup, tmp_path, "older")
    edit_manifest(older, lambda m: m["migrations"].pop("supervision"))
    out = run("restore", str(older), force=True)
    assert "原生格式" in out and "未逐表核对行数" in out and "请接着运行 suiqian migrate" in out
