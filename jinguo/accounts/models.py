from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from jinguo.lib.scoping import ScopedManager


class ScopedUserManager(ScopedManager, UserManager):
    # The historical models of migrations get a plain manager: they run with no scope.
    use_in_migrations = False


class User(AbstractUser):
    """A person working in one unit, with roles there."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员")
        REVIEWER = "reviewer", _("审核员")
        LIAISON = "liaison", _("联络员")
        CARE = "care", _("关爱工作者")

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("所属单位"), on_delete=models.PROTECT, null=True, related_name="users"
    )
    is_org_admin = models.BooleanField(_("管理员"), default=False)
    is_reviewer = models.BooleanField(_("审核员"), default=False)
    is_liaison = models.BooleanField(_("联络员"), default=False)
    # Keeps the care registry (people in hardship) of the unit's subtree; see jinguo.care.rules.
    is_care_worker = models.BooleanField(_("关爱工作者"), default=False)

    # Scoped like every org-owned model; authentication, which runs before any scope exists,
    # looks users up through ``jinguo.accounts.backends`` inside ``scopes_disabled()``.
    objects = ScopedUserManager(org="org")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["org__path", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def has_perm(self, perm: str, obj=None) -> bool:
        """``user.has_perm(perm, unit)``: the product's rules (``accounts.rules.has_perm``), for the
        apps below accounts that cannot import it. No superuser shortcut: a unit's roles decide."""
        if obj is None:
            return super().has_perm(perm)
        from jinguo.accounts.rules import has_perm

        return has_perm(self, perm, at=obj)

    @property
    def roles(self) -> list[str]:
        flags = [
            (self.is_org_admin, self.Role.ADMIN),
            (self.is_reviewer, self.Role.REVIEWER),
            (self.is_liaison, self.Role.LIAISON),
            (self.is_care_worker, self.Role.CARE),
        ]
        return [role for on, role in flags if on]

    @property
    def role_labels(self) -> str:
        return "、".join(str(self.Role(r).label) for r in self.roles) or "—"


class ApiToken(models.Model):
    """A personal token for the read-only API. Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=50)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple[ApiToken, str]:
        key = "jg_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash_key(key))
        return token, key
