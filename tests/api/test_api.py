import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from jinguo.accounts.models import ApiToken
from jinguo.accounts.services import create_api_token, revoke_api_token
from jinguo.campaigns.models import CampaignTarget, Plan
from jinguo.lib.scoping import scopes_disabled
from jinguo.orgs.models import Org
from tests.factories import make_campaign, make_plan


@pytest.fixture
def data(tree, users):
    city_campaign = make_campaign(
        issuer=tree.city, by=users.city_admin, targets=[tree.qxg, tree.dafang], title="三八妇女节系列活动"
    )
    qxg_campaign = make_campaign(issuer=tree.qxg, by=users.qxg_admin, targets=[tree.qxg_town], title="七星关区维权周")
    qxg_target = CampaignTarget.objects.get(campaign=city_campaign, org=tree.qxg)
    dafang_target = CampaignTarget.objects.get(campaign=city_campaign, org=tree.dafang)
    CampaignTarget.objects.filter(pk=qxg_target.pk).update(signed_at=timezone.now(), signed_by=users.qxg_liaison)
    town_target = CampaignTarget.objects.get(campaign=qxg_campaign)
    return SimpleNamespace(
        city_campaign=city_campaign,
        qxg_campaign=qxg_campaign,
        qxg_target=qxg_target,
        dafang_target=dafang_target,
        qxg_plan=make_plan(qxg_target),
        dafang_plan=make_plan(dafang_target, status=Plan.Status.APPROVED),
        town_plan=make_plan(town_target),
    )


def key_for(user) -> str:
    return create_api_token(user=user, name="测试")[1]


def api_get(client, url, key=None, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(url, params, headers=headers)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


ENDPOINTS = [
    "/api/orgs",
    "/api/orgs/{org}",
    "/api/campaigns",
    "/api/campaigns/{campaign}",
    "/api/campaigns/{campaign}/receipts",
    "/api/plans",
    "/api/plans/{plan}",
]


def _fill(url, data, tree):
    return url.format(org=tree.qxg.pk, campaign=data.qxg_campaign.pk, plan=data.qxg_plan.pk)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_api_without_token_is_401(client, tree, users, data, no_scope, url):
    response = api_get(client, _fill(url, data, tree))
    assert response.status_code == 401
    assert response.json() == {"detail": "未认证：请在请求头中提供有效的 API 令牌（Authorization: Bearer <令牌>）。"}


@pytest.mark.parametrize("url", ENDPOINTS)
def test_api_with_revoked_token_is_401(client, tree, users, data, no_scope, url):
    token, key = create_api_token(user=users.qxg_admin, name="大屏")
    assert api_get(client, "/api/orgs", key).status_code == 200
    revoke_api_token(token, by=users.qxg_admin)
    assert api_get(client, _fill(url, data, tree), key).status_code == 401


def test_api_with_wrong_key_or_scheme_is_401(client, tree, users, no_scope):
    key = key_for(users.qxg_admin)
    assert api_get(client, "/api/orgs", key + "x").status_code == 401
    assert client.get("/api/orgs", headers={"Authorization": f"Token {key}"}).status_code == 401


def test_api_token_of_deactivated_user_is_401(client, tree, users, no_scope):
    key = key_for(users.qxg_admin)
    users.qxg_admin.is_active = False
    users.qxg_admin.save()
    assert api_get(client, "/api/orgs", key).status_code == 401


def test_api_session_login_alone_is_401(tree, users, client_for, no_scope):
    assert client_for(users.city_admin).get("/api/orgs").status_code == 401


def test_api_last_used_is_updated_at_most_once_a_minute(client, tree, users, no_scope):
    token, key = create_api_token(user=users.qxg_admin, name="大屏")
    assert token.last_used_at is None
    api_get(client, "/api/orgs", key)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api_get(client, "/api/orgs", key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(seconds=61))
    api_get(client, "/api/orgs", key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


# --- the sibling county sees nothing of 七星关区 -------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/orgs/{org}", "/api/campaigns/{campaign}", "/api/campaigns/{campaign}/receipts", "/api/plans/{plan}"]
)
def test_api_sibling_gets_404_on_qxg_objects(client, tree, users, data, no_scope, url):
    # The objects exist and the owner can read them: the 404 is scoping, not a missing row.
    assert api_get(client, _fill(url, data, tree), key_for(users.qxg_admin)).status_code == 200
    response = api_get(client, _fill(url, data, tree), key_for(users.dafang_admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到，或不在您的权限范围内。"}


def test_api_org_list_is_subtree_only(client, tree, users, no_scope):
    assert ids(api_get(client, "/api/orgs", key_for(users.dafang_liaison))) == [tree.dafang.pk, tree.dafang_town.pk]
    assert ids(api_get(client, "/api/orgs", key_for(users.qxg_liaison))) == [tree.qxg.pk, tree.qxg_town.pk]


def test_api_org_list_filters(client, tree, users, no_scope):
    key = key_for(users.city_admin)
    assert ids(api_get(client, "/api/orgs", key, kind="county")) == [tree.qxg.pk, tree.dafang.pk]
    assert ids(api_get(client, "/api/orgs", key, parent=tree.qxg.pk)) == [tree.qxg_town.pk]
    assert ids(api_get(client, "/api/orgs", key, q="大方")) == [tree.dafang.pk, tree.dafang_town.pk]
    assert api_get(client, "/api/orgs", key, kind="nonsense").status_code == 422


def test_api_org_detail_fields(client, tree, users, no_scope):
    response = api_get(client, f"/api/orgs/{tree.qxg.pk}", key_for(users.qxg_liaison))
    assert response.json() == {
        "id": tree.qxg.pk,
        "name": "七星关区妇联",
        "short_name": "",
        "kind": "county",
        "kind_label": "县级妇联",
        "code": "520502",
        "parent_id": tree.city.pk,
        "depth": 1,
        "is_active": True,
    }


def test_api_campaign_list_has_no_sibling_campaigns(client, tree, users, data, no_scope):
    assert ids(api_get(client, "/api/campaigns", key_for(users.dafang_admin))) == [data.city_campaign.pk]
    qxg_ids = ids(api_get(client, "/api/campaigns", key_for(users.qxg_admin)))
    assert sorted(qxg_ids) == sorted([data.city_campaign.pk, data.qxg_campaign.pk])


def test_api_campaign_detail_has_lines(client, tree, users, data, no_scope):
    body = api_get(client, f"/api/campaigns/{data.city_campaign.pk}", key_for(users.dafang_liaison)).json()
    assert body["title"] == "三八妇女节系列活动"
    assert body["issuer"] == {"id": tree.city.pk, "name": "毕节市妇联"}
    assert body["status"] == "published"
    assert body["status_label"] == "已发布"
    assert [line["title"] for line in body["lines"]] == ["活动1", "活动2"]


def test_api_receipts_show_only_own_subtree(client, tree, users, data, no_scope):
    url = f"/api/campaigns/{data.city_campaign.pk}/receipts"
    items = api_get(client, url, key_for(users.dafang_liaison)).json()["items"]
    assert [(i["org"]["name"], i["signed_at"]) for i in items] == [("大方县妇联", None)]
    city_items = api_get(client, url, key_for(users.city_admin)).json()["items"]
    assert [i["org"]["name"] for i in city_items] == ["七星关区妇联", "大方县妇联"]
    assert city_items[0]["signed_at"] is not None
    assert ids(api_get(client, url, key_for(users.city_admin), signed="false")) == [data.dafang_target.pk]


def test_api_plan_list_has_no_sibling_plans_and_masks_phones(client, tree, users, data, no_scope):
    response = api_get(client, "/api/plans", key_for(users.dafang_admin))
    assert ids(response) == [data.dafang_plan.pk]
    assert response.json()["items"][0]["contact_phone"] == "138****8000"
    assert "13800138000" not in response.content.decode()


def test_api_plan_list_filters(client, tree, users, data, no_scope):
    key = key_for(users.city_admin)
    assert ids(api_get(client, "/api/plans", key, campaign=data.qxg_campaign.pk)) == [data.town_plan.pk]
    assert ids(api_get(client, "/api/plans", key, status="approved")) == [data.dafang_plan.pk]
    assert ids(api_get(client, "/api/plans", key, campaign=data.city_campaign.pk, status="submitted")) == [
        data.qxg_plan.pk
    ]


def test_api_plan_detail_has_events_and_masked_phone(client, tree, users, data, no_scope):
    response = api_get(client, f"/api/plans/{data.qxg_plan.pk}", key_for(users.qxg_liaison))
    body = response.json()
    assert body["org"] == {"id": tree.qxg.pk, "name": "七星关区妇联"}
    assert body["campaign_id"] == data.city_campaign.pk
    assert body["contact_phone"] == "138****8000"
    assert "13800138000" not in response.content.decode()
    assert [(e["title"], e["venue_type_label"], e["expected_participants"]) for e in body["events"]] == [
        ("维权周宣讲", "农村", 50)
    ]


@pytest.mark.parametrize("url", ["/api/orgs", "/api/campaigns", "/api/plans", "/api/campaigns/{campaign}/receipts"])
def test_api_list_query_count_is_flat(client, tree, users, data, no_scope, django_assert_max_num_queries, url):
    key = key_for(users.city_admin)
    target_url = url.format(campaign=data.city_campaign.pk)
    with django_assert_max_num_queries(6):
        assert api_get(client, target_url, key).status_code == 200
    from tests.factories import make_org

    with scopes_disabled():  # test set-up; the requests below meet no ambient scope
        for i in range(15):
            org = make_org(f"测试乡镇{i}", parent=tree.qxg)
            target = CampaignTarget.objects.create(campaign=data.city_campaign, org=org)
            make_plan(target)
            make_campaign(issuer=org, by=users.city_admin, title=f"乡镇活动{i}")
    with django_assert_max_num_queries(6):
        response = api_get(client, target_url, key)
    assert response.json()["count"] > 15


def test_openapi_lists_every_endpoint(tree, users, client_for, no_scope):
    response = client_for(users.qxg_liaison).get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "巾帼 API"
    assert sorted(schema["paths"]) == [
        "/api/campaigns",
        "/api/campaigns/{campaign_id}",
        "/api/campaigns/{campaign_id}/receipts",
        "/api/orgs",
        "/api/orgs/{org_id}",
        "/api/plans",
        "/api/plans/{plan_id}",
    ]
    assert all(list(ops) == ["get"] for ops in schema["paths"].values())
    props = schema["components"]["schemas"]["PlanOut"]["properties"]
    assert props["contact_phone"]["description"] == "联系电话（已脱敏，如 138****8000）"


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_schema_is_consistent(tree, users, client_for, no_scope):
    # No validator package is installed on purpose; check what a client generator relies on.
    schema = client_for(users.qxg_liaison).get("/api/openapi.json").json()
    refs = set(_refs(schema))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schema["components"]["schemas"], ref
    for path, ops in schema["paths"].items():
        op = ops["get"]
        assert op["summary"] and op["tags"], path
        assert op["security"] == [{"TokenAuth": []}], path
        for param in op.get("parameters", []):
            assert param["in"] in ("path", "query"), (path, param)
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def _error_schema(op, code):
    return op["responses"][code]["content"]["application/json"]["schema"]


def test_openapi_documents_401_404_422_with_their_bodies(tree, users, client_for, no_scope):
    schema = client_for(users.qxg_liaison).get("/api/openapi.json").json()
    with_404 = {"/api/orgs/{org_id}", "/api/campaigns/{campaign_id}", "/api/campaigns/{campaign_id}/receipts"}
    with_404 |= {"/api/plans/{plan_id}"}
    for path, ops in schema["paths"].items():
        op = ops["get"]
        expected = ["200", "401", "404", "422"] if path in with_404 else ["200", "401", "422"]
        assert sorted(op["responses"]) == expected, path
        assert _error_schema(op, "401") == {"$ref": "#/components/schemas/ErrorOut"}, path
        assert _error_schema(op, "422") == {"$ref": "#/components/schemas/ValidationErrorOut"}, path
        if path in with_404:
            assert _error_schema(op, "404") == {"$ref": "#/components/schemas/ErrorOut"}, path
        assert op["responses"]["401"]["description"] == "未认证：缺少令牌，或令牌无效、已吊销"
    components = schema["components"]["schemas"]
    assert sorted(components["ValidationErrorOut"]["properties"]) == ["detail", "errors"]
    assert sorted(components["FieldErrorOut"]["properties"]) == ["field", "message"]


def _param(schema, path, name):
    [param] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    return param["schema"]


def test_openapi_status_enums_do_not_collide(tree, users, client_for, no_scope):
    # Campaign.Status and Plan.Status are both named "Status": one definition used to overwrite the other,
    # so /api/campaigns documented the plan states (submitted, approved...) and refused none of them.
    schema = client_for(users.qxg_liaison).get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "Status" not in components
    assert components["CampaignStatus"]["enum"] == ["draft", "published", "closed"]
    assert components["PlanStatus"]["enum"] == ["draft", "submitted", "approved", "returned"]
    assert components["OrgKind"]["enum"] == [kind.value for kind in Org.Kind]
    assert _param(schema, "/api/campaigns", "status")["allOf"][0]["enum"] == ["draft", "published", "closed"]
    assert _param(schema, "/api/plans", "status")["allOf"][0]["enum"] == ["draft", "submitted", "approved", "returned"]


def test_openapi_optional_parameters_are_not_nullable(tree, users, client_for, no_scope):
    # "anyOf [integer, null]" in a query string makes generated clients send parent=null, which is a 422.
    schema = client_for(users.qxg_liaison).get("/api/openapi.json").json()
    assert _param(schema, "/api/orgs", "parent") == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
        "title": "Parent",
        "description": "上级单位 ID",
    }
    assert _param(schema, "/api/campaigns/{campaign_id}/receipts", "signed")["type"] == "boolean"
    assert _param(schema, "/api/orgs", "page") == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1_000_000,
        "default": 1,
        "title": "Page",
        "description": "页码，从 1 开始",
    }


def test_openapi_is_served_to_a_token_or_a_session_only(client, tree, users, client_for, no_scope):
    token, key = create_api_token(user=users.qxg_admin, name="生成客户端")
    assert api_get(client, "/api/openapi.json", key).json()["info"]["title"] == "巾帼 API"
    assert client_for(users.qxg_admin).get("/api/openapi.json").status_code == 200
    assert client.get("/api/openapi.json").status_code == 302
    assert api_get(client, "/api/openapi.json", key + "x").status_code == 302
    revoke_api_token(token, by=users.qxg_admin)
    response = api_get(client, "/api/openapi.json", key)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/api/openapi.json")
    assert client.get("/api/docs").status_code == 302


def test_api_docs_serve_swagger_locally(tree, users, client_for, no_scope):
    response = client_for(users.qxg_liaison).get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    import re

    assert re.findall(r"""(?:src|href)=["']https?://""", html) == []
    assert "cdn" not in html.lower()


def test_api_docs_page_leads_back_into_the_app_in_chinese(tree, users, client_for, no_scope):
    html = client_for(users.qxg_liaison).get("/api/docs").content.decode()
    assert '<html lang="zh-CN">' in html
    assert "<title>API 文档 · 巾帼</title>" in html
    assert '<a class="api-docs-back" href="/">← 返回巾帼</a>' in html
    assert '<a class="api-docs-tokens" href="/accounts/tokens/">API 令牌</a>' in html
    # Nothing inline for the Content-Security-Policy to refuse: the settings travel as JSON data.
    assert "<script>" not in html
    assert "style=" not in html


# --- numbers the database can't hold, and other malformed parameters: a 422 in Chinese, never a 500 ---------

LIST_URLS = ["/api/orgs", "/api/campaigns", "/api/plans", "/api/campaigns/{campaign}/receipts"]


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"page": "99999999999999999999"}, "请求参数有误：page 不能大于 1000000。"),
        ({"page": str(2**63)}, "请求参数有误：page 不能大于 1000000。"),
        ({"page": "1000001"}, "请求参数有误：page 不能大于 1000000。"),
        ({"page": "0"}, "请求参数有误：page 不能小于 1。"),
        ({"page": "-3"}, "请求参数有误：page 不能小于 1。"),
        ({"page": "二"}, "请求参数有误：page 必须是整数。"),
        ({"page": "1e3"}, "请求参数有误：page 必须是整数。"),
        ({"page_size": "101"}, "请求参数有误：page_size 不能大于 100。"),
        ({"page_size": "99999999999999999999"}, "请求参数有误：page_size 不能大于 100。"),
        ({"page_size": "0"}, "请求参数有误：page_size 不能小于 1。"),
        ({"page_size": "-1"}, "请求参数有误：page_size 不能小于 1。"),
        ({"page_size": "abc"}, "请求参数有误：page_size 必须是整数。"),
        ({"page": "0", "page_size": "abc"}, "请求参数有误：page 不能小于 1；page_size 必须是整数。"),
    ],
)
def test_api_page_out_of_range_is_422_in_chinese(client, tree, users, data, no_scope, url, params, detail):
    response = api_get(client, url.format(campaign=data.city_campaign.pk), key_for(users.city_admin), **params)
    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_api_422_lists_each_parameter(client, tree, users, no_scope):
    response = api_get(client, "/api/orgs", key_for(users.city_admin), page="99999999999999999999", kind="省")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "kind",
            "message": "必须是以下取值之一：national, province, city, county, township, village, committee, group, department",
        },
        {"field": "page", "message": "不能大于 1000000"},
    ]


@pytest.mark.parametrize("url", LIST_URLS)
def test_api_last_allowed_page_is_empty_not_an_error(client, tree, users, data, no_scope, url):
    # The largest page and page size reach an OFFSET of about 10^8: the database answers, with no rows.
    key = key_for(users.city_admin)
    target_url = url.format(campaign=data.city_campaign.pk)
    response = api_get(client, target_url, key, page="1000000", page_size="100")
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["count"] == api_get(client, target_url, key).json()["count"] > 0


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/orgs/99999999999999999999", "请求参数有误：org_id 不能大于 9223372036854775807。"),
        ("/api/orgs/0", "请求参数有误：org_id 不能小于 1。"),
        ("/api/orgs/abc", "请求参数有误：org_id 必须是整数。"),
        ("/api/campaigns/-1", "请求参数有误：campaign_id 不能小于 1。"),
        ("/api/campaigns/99999999999999999999/receipts", "请求参数有误：campaign_id 不能大于 9223372036854775807。"),
        ("/api/plans/1.5", "请求参数有误：plan_id 必须是整数。"),
    ],
)
def test_api_malformed_id_is_422_in_chinese(client, tree, users, no_scope, path, detail):
    response = api_get(client, path, key_for(users.city_admin))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["detail"] == detail


def test_api_largest_id_is_a_plain_404(client, tree, users, no_scope):
    response = api_get(client, f"/api/orgs/{2**63 - 1}", key_for(users.city_admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到，或不在您的权限范围内。"}


@pytest.mark.parametrize(
    ("url", "params", "detail"),
    [
        ("/api/orgs", {"parent": "99999999999999999999"}, "请求参数有误：parent 不能大于 9223372036854775807。"),
        ("/api/plans", {"campaign": "0"}, "请求参数有误：campaign 不能小于 1。"),
        # PostgreSQL refuses a NUL in a string: it must not reach the database.
        ("/api/orgs", {"q": "七星\x00关"}, "请求参数有误：q 含有不允许的字符。"),
        ("/api/orgs", {"q": "妇" * 51}, "请求参数有误：q 不能超过 50 个字。"),
        (
            "/api/campaigns",
            {"status": "submitted"},
            "请求参数有误：status 必须是以下取值之一：draft, published, closed。",
        ),
        (
            "/api/plans",
            {"status": "published"},
            "请求参数有误：status 必须是以下取值之一：draft, submitted, approved, returned。",
        ),
        ("/api/campaigns/{campaign}/receipts", {"signed": "也许"}, "请求参数有误：signed 必须是 true 或 false。"),
    ],
)
def test_api_malformed_filter_is_422_in_chinese(client, tree, users, data, no_scope, url, params, detail):
    response = api_get(client, url.format(campaign=data.city_campaign.pk), key_for(users.city_admin), **params)
    assert response.status_code == 422
    assert response.json()["detail"] == detail
