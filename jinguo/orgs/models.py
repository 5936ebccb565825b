from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import SEGMENT_WIDTH, ScopedManager, ancestor_paths, subtree_q  # noqa: F401 - SEGMENT_WIDTH re-exported


class Org(models.Model):
    """A unit of the federation tree. Units are deactivated, never deleted."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("全国妇联")
        PROVINCE = "province", _("省级妇联")
        CITY = "city", _("市妇联")
        COUNTY = "county", _("县级妇联")
        TOWNSHIP = "township", _("乡镇（街道）妇联")
        VILLAGE = "village", _("村（社区）妇联")
        COMMITTEE = "committee", _("市直单位妇委会")
        GROUP = "group", _("妇女小组")
        DEPARTMENT = "department", _("机关部室")

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("统计用区划代码"), max_length=12, blank=True, null=True, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    child_seq = models.PositiveIntegerField(editable=False, default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(org="self")

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def is_within(self, other: Org) -> bool:
        """True if this unit is ``other`` or lies below it. A string comparison, no query."""
        return self.path.startswith(other.path)

    def subtree_q(self, field: str = "") -> Q:
        return subtree_q(self.path, field)

    def ancestor_paths(self) -> list[str]:
        return ancestor_paths(self.path)
