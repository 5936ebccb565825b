"""Writes on accounts: users managed by unit admins, and personal API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from jinguo.accounts.models import ApiToken, User
from jinguo.accounts.rules import USER_WRITE, has_perm
from jinguo.accounts.selectors import username_taken
from jinguo.audit.services import log_action
from jinguo.orgs.models import Org

# No 0/O, 1/l/I: a temporary password is read aloud over the phone.
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 -- an alphabet, not a password


class AccountError(ValueError):
    """A change to an account that cannot be made; the message is shown to the user."""


def generate_temporary_password(length: int = 12) -> str:
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        # Every kind of character at least once, so no validator ever calls it too simple.
        if (
            any(c.isdigit() for c in password)
            and any(c.islower() for c in password)
            and any(c.isupper() for c in password)
        ):
            return password


def _check_may_manage(by: User | None, org: Org) -> None:
    # by=None is the deployment command (createadmin), which acts as the system.
    if by is not None and not has_perm(by, USER_WRITE, at=org):
        raise AccountError(f"您无权管理“{org.name}”的用户。")


def _role_flags(roles: Iterable[str]) -> dict[str, bool]:
    roles = set(roles)
    unknown = roles - set(User.Role.values)
    if unknown:
        raise AccountError(f"角色“{'、'.join(sorted(unknown))}”无效。")
    return {
        "is_org_admin": User.Role.ADMIN in roles,
        "is_reviewer": User.Role.REVIEWER in roles,
        "is_liaison": User.Role.LIAISON in roles,
        "is_care_worker": User.Role.CARE in roles,
    }


def create_user(
    *,
    by: User | None,
    org: Org,
    username: str,
    full_name: str,
    phone: str = "",
    roles: Iterable[str] = (),
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user in ``org`` with ``roles``; returns the user and its password.

    Without ``password`` a temporary one is generated, to be shown to the admin once.
    Audit: ``accounts.user.created`` (without the password).
    """
    _check_may_manage(by, org)
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空。")
    if not org.is_active:
        raise AccountError(f"单位“{org.name}”已停用，不能在其下新建用户。")
    flags = _role_flags(roles)
    password = password or generate_temporary_password()
    with transaction.atomic():
        if username_taken(username):
            raise AccountError(f"用户名“{username}”已被使用。")
        user = User(username=username, full_name=full_name.strip(), phone=phone.strip(), org=org, **flags)
        user.set_password(password)
        user.save()
        log_action(
            user,
            "accounts.user.created",
            by=by,
            org=org,
            data={"username": username, "full_name": user.full_name, "roles": user.roles},
        )
    return user, password


def update_user(
    user: User,
    *,
    by: User,
    org: Org,
    full_name: str,
    phone: str,
    roles: Iterable[str],
    is_active: bool,
) -> None:
    """Change a user's unit, name, phone, roles and active flag. Audit: ``accounts.user.updated``.

    The admin must manage both the user's current unit and the new one; nobody can lock
    themselves out (deactivate themselves or drop their own admin role).
    """
    _check_may_manage(by, user.org)
    _check_may_manage(by, org)
    flags = _role_flags(roles)
    if user.pk == by.pk and (not is_active or not flags["is_org_admin"]):
        raise AccountError("不能停用自己的账号或取消自己的管理员角色。")
    new_values = {"org": org, "full_name": full_name.strip(), "phone": phone.strip(), "is_active": is_active, **flags}
    changes = {}
    for field, value in new_values.items():
        old = getattr(user, field)
        if old != value:
            changes[field] = [str(old), str(value)]
            setattr(user, field, value)
    if not changes:
        return
    with transaction.atomic():
        user.save(update_fields=[*changes.keys()])
        log_action(user, "accounts.user.updated", by=by, org=user.org, data={"changes": changes})


def reset_password(user: User, *, by: User) -> str:
    """Give ``user`` a new temporary password and return it (shown to the admin once).

    Ends none of the user's sessions by itself: Django invalidates them because the password
    hash changed. Audit: ``accounts.user.password_reset``.
    """
    _check_may_manage(by, user.org)
    password = generate_temporary_password()
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        log_action(user, "accounts.user.password_reset", by=by, org=user.org)
    return password


def deactivate_user(user: User, *, by: User) -> None:
    """Stop ``user`` from signing in and using API tokens; the account and its history stay.

    Audit: ``accounts.user.deactivated``.
    """
    _check_may_manage(by, user.org)
    if user.pk == by.pk:
        raise AccountError("不能停用自己的账号。")
    if not user.is_active:
        return
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        log_action(user, "accounts.user.deactivated", by=by, org=user.org, from_state="启用", to_state="停用")


def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns it with the key, which is never stored nor shown again.

    Audit: ``accounts.token.created``.
    """
    name = name.strip()
    if not name:
        raise AccountError("请填写令牌的用途。")
    if not user.is_active or user.org is None:
        raise AccountError("该账号不能创建 API 令牌。")
    with transaction.atomic():
        token, key = ApiToken.issue(user=user, name=name)
        log_action(token, "accounts.token.created", by=user, org=user.org, data={"name": name, "prefix": token.prefix})
    return token, key


def revoke_api_token(token: ApiToken, *, by: User) -> None:
    """Revoke ``token`` for good. Only its owner does this. Audit: ``accounts.token.revoked``."""
    if token.user_id != by.pk:
        raise AccountError("只能吊销自己的令牌。")
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_action(
            token, "accounts.token.revoked", by=by, org=by.org, data={"name": token.name, "prefix": token.prefix}
        )
