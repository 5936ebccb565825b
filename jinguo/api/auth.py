"""Bearer-token authentication, and running every API operation inside the caller's scope."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from jinguo.accounts.models import ApiToken, User
from jinguo.lib.scoping import scope

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_CACHE_ATTR = "_jinguo_api_user"


def user_for_key(key: str) -> User | None:
    """The active user who owns the live token ``key``, or None. Notes the use once a minute at most."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user__org")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True, user__org__isnull=False)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent calls in the same minute write once, not once each.
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
            last_used_at=now
        )
    return token.user


def _bearer_key(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    kind, _, key = header.partition(" ")
    return key.strip() if kind.lower() == "bearer" else ""


def request_user(request: HttpRequest) -> User | None:
    """The token's user for this request, looked up once per request."""
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, user_for_key(_bearer_key(request)))
    return getattr(request, _CACHE_ATTR)


class TokenAuth(HttpBearer):
    openapi_description = "个人 API 令牌：在“API 令牌”页面创建，放在请求头 Authorization: Bearer <令牌> 中。"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return request_user(request)


def run_in_token_scope(run):
    """Wrap a whole operation (auth, view, serialisation) in the token user's subtree scope.

    Serialisation follows relations through scoped managers too, so the scope must cover it;
    without a valid token nothing is scoped and ninja's own auth check answers 401.
    """

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request_user(request)
        if user is None:
            return run(request, *args, **kwargs)
        with scope(org=user.org):
            return run(request, *args, **kwargs)

    return wrapper


def signed_in_or_token(view):
    """For the schema and the docs page: a signed-in user of the platform, or a valid API token
    (a client generator fetches the schema with the token it will use); anyone else goes to sign in."""
    signed_in_view = login_required(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request_user(request) is not None:
            return view(request, *args, **kwargs)
        return signed_in_view(request, *args, **kwargs)

    return wrapper
