"""`suiqian worker`: runs the background tasks that pages and commands enqueue.

The queue is the database (django-tasks-db), so a worker needs nothing but the
same DATABASE_URL as the web server. Run one or more beside gunicorn.
"""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "运行后台任务：名册导入、辍学比对、大文件审查、催报（--batch 处理完排队的任务后退出）"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Every queue, and no code reloading: a worker is a production process even in the demo.
        parser.set_defaults(queue_name="*", reload=False)
