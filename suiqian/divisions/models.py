from django.db import models


class DivisionQuerySet(models.QuerySet):
    def existing_in(self, year: int):
        """Units as the tree stood in `year` (created, merged and renamed units respected)."""
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=year),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=year),
        )

    def current(self):
        return self.filter(valid_to__isnull=True)

    def under(self, unit: "Division"):
        """`unit` and everything below it."""
        return self.filter(path__startswith=unit.path)


class Division(models.Model):
    """A unit of the administrative tree (GB/T 2260), and the education bureau that runs it."""

    # 教育部, above the provinces. GB/T 2260 has no code for the country; 100000 is the one map and
    # statistics data use for 中华人民共和国, and no province code starts with 10.
    NATIONAL_CODE = "100000"

    class Kind(models.TextChoices):
        NATIONAL = "national", "全国"
        PROVINCE = "province", "省"
        AUTONOMOUS_REGION = "autonomous_region", "自治区"
        MUNICIPALITY = "municipality", "直辖市"
        CITY = "city", "地级市"
        AUTONOMOUS_PREFECTURE = "autonomous_prefecture", "自治州"
        PREFECTURE = "prefecture", "地区"
        LEAGUE = "league", "盟"
        DISTRICT = "district", "区"
        COUNTY = "county", "县"
        COUNTY_CITY = "county_city", "县级市"

    class Level(models.IntegerChoices):
        # 0 so that the three levels a Shanxi-only tree knows keep their numbers (and their order).
        NATIONAL = 0, "国家级"
        PROVINCE = 1, "省级"
        CITY = 2, "市级"
        COUNTY = 3, "县级"

    code = models.CharField("区划代码", max_length=6, db_index=True)
    name = models.CharField("名称", max_length=50)
    full_name = models.CharField("全称", max_length=150)
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name="上级")
    # Materialised path of codes ("140000/140500/140525/"): subtree queries are one indexed prefix match.
    path = models.CharField(max_length=100, db_index=True, editable=False)
    valid_from = models.PositiveSmallIntegerField("设立年份", null=True, blank=True,
                                                  help_text="空表示早于数据记载")
    valid_to = models.PositiveSmallIntegerField("撤销年份", null=True, blank=True,
                                                help_text="最后存在的年份；空表示现存")
    successor = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="predecessors",
                                  verbose_name="继承单位")

    objects = DivisionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(valid_to__isnull=True),
                                    name="division_current_code"),
            models.UniqueConstraint(fields=["code", "valid_to"], name="division_code_period"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bureau_name(self) -> str:
        """The education bureau of the unit, as the notices address it."""
        if self.level == self.Level.NATIONAL:
            return "教育部"
        if self.kind == self.Kind.MUNICIPALITY:
            return f"{self.name}教育委员会"
        return f"{self.name}教育厅" if self.level == self.Level.PROVINCE else f"{self.name}教育局"

    @property
    def province_code(self) -> str | None:
        """The code of the province the unit lies in (GB/T 2260: its first two digits); None for 教育部."""
        return None if self.level == self.Level.NATIONAL else self.code[:2] + "0000"

    @classmethod
    def code_at_level(cls, path: str, level: int) -> str:
        """The code in a materialised path at `level`, or the deepest one above it (a county a province
        governs directly has no city). Trees start at 教育部 or, loaded alone, at a province."""
        codes = [c for c in path.split("/") if c]
        top = cls.Level.NATIONAL if codes[0] == cls.NATIONAL_CODE else cls.Level.PROVINCE
        return codes[max(0, min(level - top, len(codes) - 1))]

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c][:-1]

    def ancestors(self) -> list["Division"]:
        """Units above, top first."""
        by_code = {d.code: d for d in Division.objects.filter(code__in=self.ancestor_codes, valid_to__isnull=True)}
        return [by_code[c] for c in self.ancestor_codes if c in by_code]

    def existed_in(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= year) and (self.valid_to is None or self.valid_to >= year)
