from django.core.management.base import BaseCommand, CommandError

from suiqian.reporting.services import ReferenceDataError, load_all_forms, load_reference_data
from suiqian.portal.seed import load_seed_notices
from suiqian.notices.services import NoticeError
from suiqian.supervision.services import KeyListError, load_key_lists


class Command(BaseCommand):
    help = "载入通知（晋教基函〔2021〕24号）自带的数据：附件1 原始人数、附件2 重点督促县、全国比例、两份通知（幂等）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load"])

    def handle(self, *args, **opts):
        try:
            load_all_forms()
            counts = load_reference_data()
            keys = load_key_lists()
            notices = load_seed_notices()
        except (ReferenceDataError, KeyListError, NoticeError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"已载入：附件1 {counts['published']} 行，全国比例 {counts['national']} 年，"
                          f"重点督促县 {keys} 个，通知 {notices} 份")
