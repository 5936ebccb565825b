from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jinguo.accounts import services
from jinguo.accounts.forms import TokenCreateForm, UserCreateForm, UserEditForm, UserFilterForm
from jinguo.accounts.models import ApiToken, User
from jinguo.accounts.rules import USER_WRITE, has_perm
from jinguo.accounts.selectors import tokens_of, users_visible_to
from jinguo.audit.selectors import history_of
from jinguo.lib.views import page_of

USERS_PER_PAGE = 20


@login_required
def password_changed(request: HttpRequest) -> HttpResponse:
    messages.success(request, "密码已修改。")
    return redirect("home")


def _require_admin(request: HttpRequest) -> None:
    if not has_perm(request.user, USER_WRITE, at=request.user.org):
        raise PermissionDenied("只有管理员可以管理用户。")


def _get_user_for_admin(request: HttpRequest, pk: int) -> User:
    """Outside the admin's subtree → 404 (scoped manager); visible but not manageable → 403."""
    target = get_object_or_404(User.objects.select_related("org"), pk=pk)
    if not has_perm(request.user, USER_WRITE, at=target.org):
        raise PermissionDenied("您无权管理该用户。")
    return target


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    filters = UserFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    users = users_visible_to(
        user=request.user, q=params.get("q", ""), role=params.get("role", ""), active=params.get("active", "")
    )
    page = page_of(request, users, USERS_PER_PAGE)
    return render(
        request,
        "accounts/user_list.html",
        {
            "filters": filters,
            "page": page,
            "users": page.object_list,
            "filtered": bool(params and any(params.values())),
        },
    )


def _show_password_once(request: HttpRequest, target: User, password: str, *, created: bool) -> HttpResponse:
    # The views calling this are @never_cache: the password must not stay in any cache.
    context = {"target": target, "password": password, "created": created}
    return render(request, "accounts/user_password.html", context)


@never_cache
@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = UserCreateForm(request.POST or None, admin=request.user, initial={"org": request.user.org_id})
    if request.method == "POST" and form.is_valid():
        try:
            target, password = services.create_user(by=request.user, **form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, str(e))
        else:
            return _show_password_once(request, target, password, created=True)
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = _get_user_for_admin(request, pk)
    form = UserEditForm(request.POST or None, target=target, admin=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(target, by=request.user, **form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"已保存用户“{target.display_name}”。")
            return redirect("accounts:users")
    context = {"form": form, "target": target, "history": history_of(target)[:20]}
    return render(request, "accounts/user_form.html", context)


@never_cache
@require_POST
@login_required
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = _get_user_for_admin(request, pk)
    password = services.reset_password(target, by=request.user)
    return _show_password_once(request, target, password, created=False)


@require_POST
@login_required
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    target = _get_user_for_admin(request, pk)
    try:
        services.deactivate_user(target, by=request.user)
    except services.AccountError as e:
        messages.error(request, str(e))
        return redirect("accounts:user_edit", pk=target.pk)
    messages.success(request, f"已停用用户“{target.display_name}”。账号和操作记录都会保留，可随时重新启用。")
    return redirect("accounts:users")


@never_cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.create_api_token(user=request.user, **form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, str(e))
        else:
            form = TokenCreateForm()
    context = {"form": form, "tokens": tokens_of(user=request.user), "new_key": new_key}
    return render(request, "accounts/token_list.html", context)


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # A token is its owner's alone: anyone else's is "not found", whoever asks.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token, by=request.user)
    messages.success(request, f"已吊销令牌“{token.name}”，使用它的程序将无法再访问 API。")
    return redirect("accounts:tokens")
