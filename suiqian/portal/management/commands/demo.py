import os

from django.core.management.base import BaseCommand

from suiqian.portal.demo.documents import create_demo_documents
from suiqian.portal.demo.reports import create_demo_reports
from suiqian.portal.demo.statistics import create_demo_statistics
from suiqian.portal.demo.users import create_demo_users


class Command(BaseCommand):
    help = "演示：users 创建演示账号并打印登录信息；data 生成晋城市各县的填报示例"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["users", "data"])

    def handle(self, *args, action, **opts):
        password = os.environ.get("DEMO_PASSWORD") or "suiqian-demo"
        users = create_demo_users(password)
        if action == "data":
            by_code = {u.username: u for u in users}
            n = create_demo_reports(city_user=by_code["140500"])
            d = create_demo_documents(city_user=by_code["140500"])
            s = create_demo_statistics(city_user=by_code["140500"])
            self.stdout.write(f"演示数据：晋城市各县 2021 年汇总表 {n} 份，实施细则 {d} 份，教育事业统计 {s} 份")
            return
        self.stdout.write("演示账号（密码：%s）：" % password)
        for user in users:
            self.stdout.write(f"  {user.username:<8} {user.unit.bureau_name}  {'、'.join(user.role_labels())}")
