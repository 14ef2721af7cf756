from django.db import models


class KeySupervisionListing(models.Model):
    """A unit on the official list of key supervision (重点督促) for a year — 附件2, as issued from above."""

    unit = models.ForeignKey("divisions.Division", models.PROTECT, related_name="key_listings",
                             verbose_name="单位")
    year = models.PositiveSmallIntegerField("年份")
    listed_by = models.CharField("列入单位", max_length=50)
    source = models.CharField("来源文件", max_length=200)

    class Meta:
        ordering = ["year", "unit__code"]
        verbose_name = verbose_name_plural = "重点督促县区"
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="key_listing_unit_year")]
