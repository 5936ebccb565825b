"""API tokens: the key is shown once, only its hash is kept, and its owner alone can revoke it."""

import pytest

from jinguo.accounts.models import ApiToken
from jinguo.accounts.services import create_api_token
from jinguo.audit.models import AuditEntry


def test_token_page_empty_state(users, client_for):
    response = client_for(users.qxg_liaison).get("/accounts/tokens/")
    assert response.status_code == 200
    assert "您还没有 API 令牌。" in response.content.decode()


def test_create_token_shows_key_once_and_stores_only_its_hash(users, client_for):
    client = client_for(users.qxg_liaison)
    response = client.post("/accounts/tokens/", {"name": "数据大屏读取"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["new_key"]
    assert key.startswith("jg_")
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=users.qxg_liaison)
    assert (token.name, token.prefix, token.key_hash) == ("数据大屏读取", key[:8], ApiToken.hash_key(key))
    # Reloading the page shows the prefix, never the key again.
    again = client.get("/accounts/tokens/").content.decode()
    assert key not in again
    assert f"<code>{key[:8]}…</code>" in again
    assert "从未使用" in again
    [entry] = AuditEntry.objects.filter(action="accounts.token.created")
    assert (entry.actor, entry.object_id) == (users.qxg_liaison, token.pk)
    assert key not in str(entry.data)


def test_create_token_without_name_shows_chinese_error(users, client_for):
    response = client_for(users.qxg_liaison).post("/accounts/tokens/", {"name": "  "})
    assert "请填写令牌的用途。" in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_token_list_shows_only_own_tokens(users, client_for):
    create_api_token(user=users.qxg_admin, name="管理员的令牌")
    mine, _ = create_api_token(user=users.qxg_liaison, name="我的令牌")
    response = client_for(users.qxg_liaison).get("/accounts/tokens/")
    assert list(response.context["tokens"]) == [mine]
    assert "管理员的令牌" not in response.content.decode()


def test_revoke_token(users, client_for):
    token, key = create_api_token(user=users.qxg_liaison, name="大屏")
    client = client_for(users.qxg_liaison)
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "已吊销令牌“大屏”" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "已吊销" in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.token.revoked", object_id=token.pk).count() == 1


@pytest.mark.parametrize("who", ["dafang_admin", "qxg_admin", "city_admin"])
def test_revoke_someone_elses_token_is_404(users, client_for, who):
    token, _ = create_api_token(user=users.qxg_liaison, name="大屏")
    assert client_for(getattr(users, who)).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("extra", [1, 20])
def test_token_list_query_count_is_flat(users, client_for, django_assert_max_num_queries, extra):
    for i in range(extra):
        create_api_token(user=users.qxg_liaison, name=f"令牌{i}")
    client = client_for(users.qxg_liaison)
    with django_assert_max_num_queries(8):
        assert client.get("/accounts/tokens/").status_code == 200
