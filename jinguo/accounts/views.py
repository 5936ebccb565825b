from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jinguo.accounts.models import User


@login_required
def password_changed(request: HttpRequest) -> HttpResponse:
    messages.success(request, "密码已修改。")
    return redirect("home")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = User.in_scope.select_related("org")
    return render(request, "accounts/user_list.html", {"users": users})


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/token_list.html", {"tokens": request.user.api_tokens.all()})
