from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "suiqian.rosters"
    verbose_name = "控辍保学（学籍名册）"
