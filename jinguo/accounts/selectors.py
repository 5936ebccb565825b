from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from jinguo.accounts.models import ApiToken, User
from jinguo.lib.scoping import scopes_disabled

_ROLE_FIELDS = {
    User.Role.ADMIN: "is_org_admin",
    User.Role.REVIEWER: "is_reviewer",
    User.Role.LIAISON: "is_liaison",
    User.Role.CARE: "is_care_worker",
}


def users_visible_to(*, user: User, q: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    """Users of the viewer's subtree (through the scoped manager), filtered for the admin list.

    ``q`` matches username, full name, phone or unit name; ``active`` is "1", "0" or "".
    """
    qs = User.objects.visible_to(user).select_related("org")
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(full_name__icontains=q)
            | Q(phone__icontains=q)
            | Q(org__name__icontains=q)
            | Q(org__short_name__icontains=q)
        )
    if role in _ROLE_FIELDS:
        qs = qs.filter(**{_ROLE_FIELDS[role]: True})
    if active in ("0", "1"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("org__path", "username")


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The viewer's own API tokens, live ones first."""
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at")


def active_users_of(orgs) -> QuerySet[User]:
    """The active users of ``orgs`` (units or their ids), whatever the viewer's scope."""
    with scopes_disabled():  # notifications travel up the tree too: a plan reaches the issuer's reviewers
        return User.objects.filter(org__in=list(orgs), is_active=True)


def username_taken(username: str) -> bool:
    """Whether any user anywhere has this username (compared without case)."""
    with scopes_disabled():  # usernames are unique across the whole tree, not only the viewer's subtree
        return User.objects.filter(username__iexact=username).exists()


def recent_login_failures(username: str) -> int:
    """Wrong passwords for ``username`` from every address within the slow limit's window."""
    from axes.models import AccessAttempt

    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_USER_FAILURE_WINDOW_MINUTES)
    rows = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return rows.aggregate(n=Sum("failures_since_start"))["n"] or 0
