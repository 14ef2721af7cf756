import os

from django.core.management.base import BaseCommand

from suiqian.accounts.services import create_demo_users


class Command(BaseCommand):
    help = "创建演示账号（以单位代码命名，四种角色齐全），并打印登录信息"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["users"])

    def handle(self, *args, **opts):
        password = os.environ.get("DEMO_PASSWORD") or "suiqian-demo"
        users = create_demo_users(password)
        self.stdout.write("演示账号（密码：%s）：" % password)
        for user in users:
            self.stdout.write(f"  {user.username:<8} {user.unit.bureau_name}  {'、'.join(user.role_labels())}")
