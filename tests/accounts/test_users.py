"""User management by unit admins: always inside their own subtree."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jinguo.accounts.models import User
from jinguo.audit.models import AuditEntry
from tests.factories import PASSWORD, UserFactory, make_org


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def can_login(username: str, password: str) -> bool:
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


# --- list -----------------------------------------------------------------------------------


def test_user_list_shows_only_the_subtree(users, client_for):
    response = client_for(users.qxg_admin).get("/accounts/users/")
    assert response.status_code == 200
    assert [u.username for u in response.context["users"]] == ["qxg_admin", "qxg_liaison"]
    assert "dafang_liaison" not in response.content.decode()


def test_user_list_for_city_admin_covers_the_tree(users, client_for):
    response = client_for(users.city_admin).get("/accounts/users/")
    assert [u.username for u in response.context["users"]] == [
        "city_admin",
        "city_reviewer",
        "qxg_admin",
        "qxg_liaison",
        "dafang_admin",
        "dafang_liaison",
    ]


def test_user_list_forbidden_without_admin_role(users, client_for):
    assert client_for(users.city_reviewer).get("/accounts/users/").status_code == 403
    assert client_for(users.qxg_liaison).get("/accounts/users/new/").status_code == 403


def test_user_list_filters_by_unit_search_role_and_state(tree, users, client_for):
    users.qxg_liaison.is_active = False
    users.qxg_liaison.save()
    client = client_for(users.city_admin)

    def names(**params):
        return [u.username for u in client.get("/accounts/users/", params).context["users"]]

    assert names(q="大方") == ["dafang_admin", "dafang_liaison"]
    assert names(q="联络员") == ["qxg_liaison", "dafang_liaison"]
    assert names(role="reviewer") == ["city_reviewer", "dafang_admin"]
    assert names(active="0") == ["qxg_liaison"]
    assert names(role="liaison", active="1") == ["dafang_liaison"]


def test_user_list_empty_filter_result_says_what_to_do(users, client_for):
    response = client_for(users.qxg_admin).get("/accounts/users/", {"q": "不存在的人"})
    assert "没有符合筛选条件的用户" in response.content.decode()


def test_user_list_paginates(tree, users, client_for):
    for i in range(25):
        UserFactory(username=f"town{i:02d}", org=tree.qxg_town)
    client = client_for(users.qxg_admin)
    first = client.get("/accounts/users/", {"q": "town"})
    assert len(first.context["users"]) == 20
    assert "第 1 / 2 页，共 25 条" in first.content.decode()
    second = client.get("/accounts/users/", {"q": "town", "page": 2})
    assert [u.username for u in second.context["users"]] == [f"town{i:02d}" for i in range(20, 25)]


@pytest.mark.parametrize("extra", [0, 30])
def test_user_list_query_count_is_flat(tree, users, client_for, django_assert_max_num_queries, extra):
    for i in range(extra):
        UserFactory(org=make_org(f"乡镇{i}", parent=tree.qxg), is_liaison=True)
    client = client_for(users.qxg_admin)
    with django_assert_max_num_queries(10):
        assert client.get("/accounts/users/").status_code == 200


# --- create ---------------------------------------------------------------------------------


def test_create_user_shows_temporary_password_once_and_it_works(tree, users, client_for):
    client = client_for(users.qxg_admin)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "zhangli",
            "full_name": "张丽",
            "phone": "138 0013 8000",
            "org": tree.qxg_town.pk,
            "roles": ["liaison", "reviewer"],
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert f'data-testid="temp-password">{password}<' in response.content.decode()
    created = User.objects.get(username="zhangli")
    assert (created.full_name, created.phone, created.org, created.roles) == (
        "张丽",
        "13800138000",
        tree.qxg_town,
        ["reviewer", "liaison"],
    )
    assert can_login("zhangli", password)
    [entry] = entries("accounts.user.created")
    assert (entry.actor, entry.org, entry.object_id) == (users.qxg_admin, tree.qxg_town, created.pk)
    assert password not in str(entry.data)


def test_create_user_outside_subtree_is_refused(tree, users, client_for):
    response = client_for(users.qxg_admin).post(
        "/accounts/users/new/", {"username": "intruder", "full_name": "某人", "org": tree.dafang.pk, "roles": ["admin"]}
    )
    assert response.status_code == 200
    assert "请选择本单位或下级单位。" in response.content.decode()
    assert not User.objects.filter(username="intruder").exists()
    # The sibling county is not even offered.
    assert "大方县妇联" not in response.content.decode()


def test_create_user_bad_input_keeps_what_was_typed(tree, users, client_for):
    response = client_for(users.qxg_admin).post(
        "/accounts/users/new/",
        {"username": "qxg_liaison", "full_name": "王芳", "phone": "12345", "org": tree.qxg.pk, "roles": ["liaison"]},
    )
    html = response.content.decode()
    assert "用户名“qxg_liaison”已被使用，请换一个。" in html
    assert "手机号格式不正确，应为 11 位数字，以 1 开头。" in html
    assert 'value="王芳"' in html
    assert 'value="12345"' in html
    assert 'value="liaison" id="id_roles_2" checked' in html
    assert User.objects.filter(full_name="王芳").count() == 0


# --- edit -----------------------------------------------------------------------------------


def test_edit_user_of_sibling_county_is_404(users, client_for):
    assert User.objects.filter(pk=users.qxg_liaison.pk).exists()
    client = client_for(users.dafang_admin)
    assert client.get(f"/accounts/users/{users.qxg_liaison.pk}/").status_code == 404
    assert client.post(f"/accounts/users/{users.qxg_liaison.pk}/", {"full_name": "x"}).status_code == 404
    assert client.post(f"/accounts/users/{users.qxg_liaison.pk}/reset-password/").status_code == 404
    assert client.post(f"/accounts/users/{users.qxg_liaison.pk}/deactivate/").status_code == 404
    users.qxg_liaison.refresh_from_db()
    assert users.qxg_liaison.is_active
    assert users.qxg_liaison.check_password(PASSWORD)


def test_edit_user_of_parent_unit_is_404(users, client_for):
    assert client_for(users.qxg_admin).get(f"/accounts/users/{users.city_admin.pk}/").status_code == 404


def test_edit_user_visible_but_not_manageable_is_403(users, client_for):
    assert client_for(users.city_reviewer).get(f"/accounts/users/{users.qxg_liaison.pk}/").status_code == 403


def test_edit_user_changes_roles_unit_and_is_audited(tree, users, client_for):
    client = client_for(users.qxg_admin)
    response = client.post(
        f"/accounts/users/{users.qxg_liaison.pk}/",
        {"full_name": "七星关联络员", "phone": "", "org": tree.qxg_town.pk, "roles": ["reviewer"], "is_active": "on"},
    )
    assert response.status_code == 302
    users.qxg_liaison.refresh_from_db()
    assert (users.qxg_liaison.org, users.qxg_liaison.roles) == (tree.qxg_town, ["reviewer"])
    [entry] = entries("accounts.user.updated")
    assert entry.data["changes"]["org"] == ["七星关区妇联", "七星关区市西街道妇联"]
    assert entry.data["changes"]["is_reviewer"] == ["False", "True"]


def test_edit_user_cannot_move_out_of_subtree(tree, users, client_for):
    response = client_for(users.qxg_admin).post(
        f"/accounts/users/{users.qxg_liaison.pk}/",
        {"full_name": "七星关联络员", "org": tree.city.pk, "roles": ["admin"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "请选择本单位或下级单位。" in response.content.decode()
    users.qxg_liaison.refresh_from_db()
    assert (users.qxg_liaison.org, users.qxg_liaison.roles) == (tree.qxg, ["liaison"])


def test_edit_self_cannot_deactivate_or_drop_admin(tree, users, client_for):
    client = client_for(users.qxg_admin)
    response = client.post(
        f"/accounts/users/{users.qxg_admin.pk}/", {"full_name": "七星关管理员", "org": tree.qxg.pk, "roles": []}
    )
    html = response.content.decode()
    assert "不能停用自己的账号。" in html
    assert "不能取消自己的管理员角色。" in html
    users.qxg_admin.refresh_from_db()
    assert users.qxg_admin.is_active and users.qxg_admin.is_org_admin


def test_edit_page_shows_history(users, client_for):
    client = client_for(users.qxg_admin)
    client.post(f"/accounts/users/{users.qxg_liaison.pk}/reset-password/")
    html = client.get(f"/accounts/users/{users.qxg_liaison.pk}/").content.decode()
    assert "<strong>七星关管理员</strong> 重置密码" in html


# --- reset password, deactivate ---------------------------------------------------------------


def test_reset_password_requires_post(users, client_for):
    assert client_for(users.qxg_admin).get(f"/accounts/users/{users.qxg_liaison.pk}/reset-password/").status_code == 405


def test_reset_password_gives_a_new_working_password(users, client_for):
    response = client_for(users.qxg_admin).post(f"/accounts/users/{users.qxg_liaison.pk}/reset-password/")
    assert response.status_code == 200
    password = response.context["password"]
    assert "临时密码只显示这一次" in response.content.decode()
    assert can_login("qxg_liaison", password)
    assert not can_login("qxg_liaison", PASSWORD)
    [entry] = entries("accounts.user.password_reset")
    assert (entry.actor, entry.object_id) == (users.qxg_admin, users.qxg_liaison.pk)


def test_deactivate_user_keeps_the_account(users, client_for):
    response = client_for(users.qxg_admin).post(f"/accounts/users/{users.qxg_liaison.pk}/deactivate/")
    assert response.status_code == 302
    users.qxg_liaison.refresh_from_db()
    assert users.qxg_liaison.is_active is False
    assert not can_login("qxg_liaison", PASSWORD)
    [entry] = entries("accounts.user.deactivated")
    assert (entry.actor, entry.object_id, entry.to_state) == (users.qxg_admin, users.qxg_liaison.pk, "停用")


def test_deactivate_self_is_refused(users, client_for):
    response = client_for(users.qxg_admin).post(f"/accounts/users/{users.qxg_admin.pk}/deactivate/", follow=True)
    assert "不能停用自己的账号。" in response.content.decode()
    users.qxg_admin.refresh_from_db()
    assert users.qxg_admin.is_active
    assert entries("accounts.user.deactivated") == []


# --- createadmin ------------------------------------------------------------------------------


def test_createadmin_by_org_code(tree, capsys):
    call_command("createadmin", "--org-code", "520521", "--username", "dafang2", "--password", "Dafang!pw-2026")
    user = User.objects.get(username="dafang2")
    assert (user.org, user.roles) == (tree.dafang, ["admin"])
    assert "已创建管理员 dafang2（大方县妇联）。" in capsys.readouterr().out
    assert can_login("dafang2", "Dafang!pw-2026")
    [entry] = entries("accounts.user.created")
    assert (entry.actor, entry.actor_name) == (None, "系统")


def test_createadmin_by_org_name(tree):
    call_command("createadmin", "--org-name", "毕节市妇联", "--username", "bj", "--password", "Bijie!pw-2026")
    assert User.objects.get(username="bj").org == tree.city


def test_createadmin_refuses_unknown_unit_weak_password_and_taken_name(tree, users):
    with pytest.raises(CommandError, match="找不到单位：999999"):
        call_command("createadmin", "--org-code", "999999", "--username", "x", "--password", "Good!pw-2026")
    with pytest.raises(CommandError, match="密码不符合要求：密码长度太短。"):
        call_command("createadmin", "--org-code", "520500", "--username", "x", "--password", "a1")
    with pytest.raises(CommandError, match="用户名“city_admin”已被使用。"):
        call_command("createadmin", "--org-code", "520500", "--username", "city_admin", "--password", "Good!pw-2026")


def test_create_user_without_role_is_refused(tree, users, client_for):
    response = client_for(users.qxg_admin).post(
        "/accounts/users/new/", {"username": "norole", "full_name": "无角色", "org": tree.qxg.pk}
    )
    assert "请至少选择一个角色。" in response.content.decode()
    assert not User.objects.filter(username="norole").exists()


def test_user_form_lists_two_levels_when_the_subtree_is_large(tree, users, settings, monkeypatch):
    from jinguo.accounts import forms
    from jinguo.orgs.models import Org
    from tests.factories import make_org

    monkeypatch.setattr(forms, "LIST_ALL_UNITS_UP_TO", 3)
    village = make_org("七星关区某村妇联", Org.Kind.VILLAGE, tree.qxg_town)
    form = forms.UserCreateForm(admin=users.city_admin)
    listed = [value for value, _label in form.fields["org"].widget.choices if value]
    assert village.pk not in listed
    assert tree.qxg_town.pk in listed
    # A deeper unit is still accepted when posted (e.g. chosen before), as long as it is in the subtree.
    assert form.fields["org"].clean(village.pk) == village
