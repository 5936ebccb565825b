from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.db.models import Q

from jinguo.accounts.models import User
from jinguo.accounts.selectors import recent_login_failures, username_taken
from jinguo.orgs.models import Org

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。在同一设备上连续输错 5 次，账号将在该设备上被锁定 15 分钟。",
        "inactive": "该账号已停用，请联系本单位管理员。",
        "user_throttled": "该账号近一小时内密码错误次数过多，已暂停登录。请一小时后再试，或联系本单位管理员重置密码。",
    }

    username = forms.CharField(
        label="用户名", max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def clean(self):
        # The slower limit behind the per-address lockout: a guesser with many addresses.
        username = self.cleaned_data.get("username")
        if username and recent_login_failures(username) >= settings.LOGIN_USER_FAILURE_LIMIT:
            raise forms.ValidationError(self.error_messages["user_throttled"], code="user_throttled")
        return super().clean()


class StyledPasswordChangeForm(PasswordChangeForm):
    """Django's form (its messages are already Chinese under zh-hans), with Bootstrap inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


class UserFilterForm(forms.Form):
    ACTIVE_CHOICES = [("", "全部状态"), ("1", "启用"), ("0", "已停用")]

    q = forms.CharField(label="搜索", required=False, max_length=100)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *User.Role.choices])
    active = forms.ChoiceField(label="状态", required=False, choices=ACTIVE_CHOICES)


LIST_ALL_UNITS_UP_TO = 1000


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Org) -> str:
        return "\u3000" * obj.depth + obj.name


class _UserFieldsForm(forms.Form):
    """Fields an admin sets on a user. The unit list is the admin's own subtree, nothing else."""

    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False, help_text="11 位手机号，可不填。")
    org = OrgChoiceField(
        label="所属单位",
        queryset=Org.objects.none(),
        error_messages={"invalid_choice": "请选择本单位或下级单位。", "required": "请选择所属单位。"},
    )
    roles = forms.MultipleChoiceField(
        label="角色", choices=User.Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, admin: User, **kwargs):
        super().__init__(*args, **kwargs)
        subtree = Org.objects.filter(admin.org.subtree_q(), is_active=True).order_by("path")
        self.fields["org"].queryset = subtree  # what the form accepts
        self._limit_listed_units(subtree, admin=admin)
        for name, field in self.fields.items():
            if name != "roles" and not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-select" if name == "org" else "form-control"
        self.fields["full_name"].error_messages["required"] = "请填写姓名。"

    def _limit_listed_units(self, subtree, *, admin: User) -> None:
        """A province has 50,000 units: the list shows at most two levels below the admin (and the
        user's current unit), so that the page stays small; deeper units are managed from closer up."""
        if subtree.count() <= LIST_ALL_UNITS_UP_TO:
            return
        current = self.initial.get("org")
        listed = subtree.filter(Q(depth__lte=admin.org.depth + 2) | Q(pk=current))
        field = self.fields["org"]
        field.widget.choices = [("", "---------")] + [(o.pk, field.label_from_instance(o)) for o in listed]
        field.help_text = "列表只列出两级以内的下级单位；更下级单位的账号，请由其县级或乡级单位管理员创建。"

    def clean_full_name(self) -> str:
        value = self.cleaned_data["full_name"].strip()
        if not value:
            raise forms.ValidationError("请填写姓名。")
        return value

    def clean_roles(self) -> list[str]:
        roles = self.cleaned_data["roles"]
        if not roles:
            raise forms.ValidationError("请至少选择一个角色。")
        return roles

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip().replace(" ", "").replace("-", "")
        if value and not PHONE_RE.match(value):
            raise forms.ValidationError("手机号格式不正确，应为 11 位数字，以 1 开头。")
        return value


class UserCreateForm(_UserFieldsForm):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        help_text="用于登录，3 个字符以上，只能包含字母、数字和 _ . @ + -，创建后不能修改。",
    )
    field_order = ["username", "full_name", "phone", "org", "roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "off"})
        self.fields["username"].error_messages["required"] = "请填写用户名。"

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        if not USERNAME_RE.match(value):
            raise forms.ValidationError("用户名须为 3 个字符以上，只能包含字母、数字和 _ . @ + -。")
        if username_taken(value):
            raise forms.ValidationError(f"用户名“{value}”已被使用，请换一个。")
        return value


class UserEditForm(_UserFieldsForm):
    is_active = forms.BooleanField(label="启用（可以登录）", required=False)

    def __init__(self, *args, target: User, admin: User, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "full_name": target.full_name,
                "phone": target.phone,
                "org": target.org_id,
                "roles": target.roles,
                "is_active": target.is_active,
            },
        )
        super().__init__(*args, admin=admin, **kwargs)
        self.target = target
        self.admin = admin
        self.fields["is_active"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        cleaned = super().clean()
        if self.target.pk == self.admin.pk:
            if not cleaned.get("is_active"):
                self.add_error("is_active", "不能停用自己的账号。")
            if User.Role.ADMIN not in cleaned.get("roles", []):
                self.add_error("roles", "不能取消自己的管理员角色。")
        return cleaned


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="用途",
        max_length=50,
        help_text="写明这个令牌给谁、做什么用，例如“数据大屏读取”。",
        error_messages={"required": "请填写令牌的用途。"},
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "例如：数据大屏读取"}),
    )

    def clean_name(self) -> str:
        value = self.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError("请填写令牌的用途。")
        return value
