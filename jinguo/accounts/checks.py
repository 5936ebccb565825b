"""System checks of sign-in security: what a deployment must set before it serves anyone."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, register

# The key an earlier version used when none was set: anyone who read the code could sign with it.
KNOWN_KEYS = {"jinguo-local-demo-key-not-for-production"}


def is_production() -> bool:
    """A deployment, as opposed to the local demo: a database server or a public host name."""
    public = [h for h in settings.ALLOWED_HOSTS if h not in settings.LOCAL_HOSTS]
    return (bool(os.environ.get("DATABASE_URL")) and not settings.DEBUG) or bool(public)


@register(Tags.security)
def check_secret_key(app_configs=None, **kwargs) -> list[Error]:
    """Sessions, CSRF tokens and the public quiz's attempt tokens are signed with SECRET_KEY."""
    if settings.SECRET_KEY in KNOWN_KEYS:
        return [Error("SECRET_KEY 是公开的演示密钥，任何人都能用它伪造登录和答题凭证。", hint=_HINT, id="jinguo.E001")]
    if is_production() and not settings.SECRET_KEY_FROM_ENV:
        return [Error("生产环境必须设置 SECRET_KEY 环境变量。", hint=_HINT, id="jinguo.E002")]
    return []


_HINT = "生成并设置：export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
