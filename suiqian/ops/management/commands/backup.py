from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from suiqian.ops import services

from ._progress import progress_writer


class Command(BaseCommand):
    help = ("备份数据库和上传文件到一个新目录：原生数据库备份（SQLite 在线备份 / pg_dump）、"
            "可移植数据 data.json.gz、上传文件 media.tar，以及带 sha256 校验和的 manifest.json")

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, metavar="DIR",
                            help="备份目录：不存在或为空（不会覆盖已有备份）")

    def handle(self, *args, **opts):
        try:
            services.backup(Path(opts["output"]), progress=progress_writer(self))
        except services.BackupError as e:
            raise CommandError(str(e)) from e
