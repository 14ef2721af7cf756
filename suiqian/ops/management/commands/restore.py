from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suiqian.ops import services

from ._progress import progress_writer


class Command(BaseCommand):
    help = ("从 suiqian backup 生成的目录恢复数据库和上传文件。先校验清单和全部校验和；"
            "数据库类型相同时原样恢复，不同时（如 SQLite → PostgreSQL）导入可移植数据 data.json.gz。"
            "目标数据库或上传文件目录不为空时拒绝，除非加 --force。恢复前请先停止应用服务")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="备份目录（含 manifest.json）")
        parser.add_argument("--force", action="store_true",
                            help="目标数据库或上传文件目录不为空时也恢复（覆盖现有数据）")
        parser.add_argument("--database-url", metavar="URL",
                            help="恢复到该数据库，而不是配置中的数据库（如 postgres://user@host:5432/name，"
                                 "可以是新建的空库）")
        parser.add_argument("--media-root", metavar="DIR", type=Path,
                            help="上传文件恢复到该目录（默认 MEDIA_ROOT）")
        parser.add_argument("--portable", action="store_true",
                            help="即使数据库类型相同也按可移植格式（data.json.gz）导入")

    def handle(self, *args, **opts):
        try:
            result = services.restore(Path(opts["directory"]), database_url=opts["database_url"],
                                      media_root=opts["media_root"], force=opts["force"],
                                      portable=opts["portable"], progress=progress_writer(self))
        except services.BackupError as e:
            raise CommandError(str(e)) from e
        how = "原生格式" if result.mode == "native" else "可移植格式"
        self.stdout.write(self.style.SUCCESS(
            f"恢复完成（{services.ENGINE_NAMES[result.engine]}，{how}）：{result.rows} 行数据，"
            f"{result.media_files} 个上传文件"))
