from django.contrib.auth import views as auth_views
from django.urls import path

from jinguo.accounts import views
from jinguo.accounts.forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url="/accounts/password/done/"
        ),
        name="password_change",
    ),
    path("password/done/", views.password_changed, name="password_change_done"),
    path("users/", views.user_list, name="users"),
    path("tokens/", views.token_list, name="tokens"),
]
