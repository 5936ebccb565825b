"""Object permissions through Django's own door, for the apps below accounts.

``user.has_perm("orgs.units:write", org)`` reaches ``accounts.rules.has_perm`` through this
backend, so ``orgs`` checks permissions without importing the app built on it. Only checks on an
object (a unit) are answered; Django's model permissions stay with ``ModelBackend``.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from jinguo.accounts.rules import has_perm


class RulesBackend(BaseBackend):
    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return obj is not None and has_perm(user_obj, perm, at=obj)
